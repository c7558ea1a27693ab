package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pool reports a PostgreSQL connection pool's state at each scrape, from its Stat.
type Pool struct {
	stat func() *pgxpool.Stat

	max, conns                                 *prometheus.Desc
	acquires, emptyAcquires, canceledAcquires  *prometheus.Desc
	acquireSeconds, emptyAcquireWaitSeconds    *prometheus.Desc
	newConns, lifetimeDestroyed, idleDestroyed *prometheus.Desc
}

var _ prometheus.Collector = (*Pool)(nil)

// NewPool returns the collector of the pool whose statistics stat returns ((*pgxpool.Pool).Stat);
// register it in the process's registry.
func NewPool(stat func() *pgxpool.Stat) *Pool {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("bank_db_pool_"+name, help, labels, nil)
	}
	return &Pool{
		stat:                    stat,
		max:                     d("max_connections", "The most connections the pool opens (DB_MAX_CONNS)."),
		conns:                   d("connections", "The pool's connections by state: acquired (in use), idle, or constructing.", "state"),
		acquires:                d("acquires_total", "Connections acquired from the pool."),
		emptyAcquires:           d("empty_acquires_total", "Acquires that found no idle connection and waited for one to be opened or released."),
		canceledAcquires:        d("canceled_acquires_total", "Acquires canceled (their request ended) before they got a connection."),
		acquireSeconds:          d("acquire_seconds_total", "Time spent acquiring connections, all acquires together."),
		emptyAcquireWaitSeconds: d("empty_acquire_wait_seconds_total", "Time acquires spent waiting because the pool had no idle connection."),
		newConns:                d("new_connections_total", "Connections the pool opened."),
		lifetimeDestroyed:       d("max_lifetime_destroyed_total", "Connections closed for reaching their maximum lifetime."),
		idleDestroyed:           d("max_idle_destroyed_total", "Connections closed for staying idle too long."),
	}
}

// Describe implements prometheus.Collector.
func (p *Pool) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.max, p.conns, p.acquires, p.emptyAcquires, p.canceledAcquires,
		p.acquireSeconds, p.emptyAcquireWaitSeconds, p.newConns, p.lifetimeDestroyed, p.idleDestroyed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *Pool) Collect(ch chan<- prometheus.Metric) {
	s := p.stat()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(p.max, float64(s.MaxConns()))
	gauge(p.conns, float64(s.AcquiredConns()), "acquired")
	gauge(p.conns, float64(s.IdleConns()), "idle")
	gauge(p.conns, float64(s.ConstructingConns()), "constructing")
	counter(p.acquires, float64(s.AcquireCount()))
	counter(p.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(p.canceledAcquires, float64(s.CanceledAcquireCount()))
	counter(p.acquireSeconds, s.AcquireDuration().Seconds())
	counter(p.emptyAcquireWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
	counter(p.newConns, float64(s.NewConnsCount()))
	counter(p.lifetimeDestroyed, float64(s.MaxLifetimeDestroyCount()))
	counter(p.idleDestroyed, float64(s.MaxIdleDestroyCount()))
}
