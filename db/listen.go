package db

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// TransferFinishedChannel is the notification channel on which a transfer's id is sent when it
// ends (completed, failed or compensated), at the commit that ends it.
const TransferFinishedChannel = "transfer_finished"

// SessionChangesChannel is the notification channel on which 's:<session id>' or 'u:<user id>' is
// sent at the commit of a change that may end a session (migration 000017): the API processes
// forget what they keep of it.
const SessionChangesChannel = "session_changes"

// Listener delivers PostgreSQL notifications of one channel to the subscribers of their payload.
// It keeps one connection of its own and reconnects after failures. Notifications sent while it is
// disconnected are lost, so each time it starts listening it wakes every subscriber: each re-reads
// what it waits for, and misses nothing that committed before.
type Listener struct {
	connString string
	channel    string
	logger     *slog.Logger

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
	// observers are told every notification, and when listening starts and stops.
	observers []ChannelObserver
	listening bool
}

// ChannelObserver follows a Listener's channel as a whole. Notified gets every notification's payload, in
// the order they arrive; Listening(true) is called once the listener listens (notifications from
// then on reach Notified), Listening(false) as soon as it stops (those sent until it listens again
// are lost). Both are called from the listener's goroutine and must not block.
type ChannelObserver interface {
	Notified(payload string)
	Listening(on bool)
}

// Observe adds o to the listener's observers, telling it at once when the listener listens already.
func (l *Listener) Observe(o ChannelObserver) {
	l.mu.Lock()
	l.observers = append(l.observers, o)
	on := l.listening
	l.mu.Unlock()
	if on {
		o.Listening(true)
	}
}

// setListening records whether the listener listens and tells the observers.
func (l *Listener) setListening(on bool) {
	l.mu.Lock()
	l.listening = on
	l.mu.Unlock()
	l.tellObservers(func(o ChannelObserver) { o.Listening(on) })
}

func (l *Listener) tellObservers(f func(ChannelObserver)) {
	l.mu.Lock()
	observers := l.observers
	l.mu.Unlock()
	for _, o := range observers {
		f(o)
	}
}

// NewListener returns a Listener of channel on the database at connString.
func NewListener(connString, channel string, logger *slog.Logger) *Listener {
	return &Listener{connString: connString, channel: channel, logger: logger, waiters: map[string]map[chan struct{}]struct{}{}}
}

// Subscribe returns a channel closed at the next notification whose payload is key, and a function
// that ends the subscription.
func (l *Listener) Subscribe(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	l.mu.Lock()
	if l.waiters[key] == nil {
		l.waiters[key] = map[chan struct{}]struct{}{}
	}
	l.waiters[key][ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if set, ok := l.waiters[key]; ok {
			delete(set, ch)
			if len(set) == 0 {
				delete(l.waiters, key)
			}
		}
	}
}

// wakeAll wakes every subscriber, whatever its key.
func (l *Listener) wakeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, set := range l.waiters {
		for ch := range set {
			close(ch)
		}
		delete(l.waiters, key)
	}
}

func (l *Listener) notify(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.waiters[key] {
		close(ch)
	}
	delete(l.waiters, key)
}

// Run listens until ctx ends, reconnecting with backoff.
func (l *Listener) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx)
		l.setListening(false)
		if ctx.Err() != nil {
			return
		}
		l.logger.Warn("notification listener disconnected", "channel", l.channel, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (l *Listener) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return err
	}
	// Whatever was notified while no connection listened is read again by its subscribers.
	l.wakeAll()
	l.setListening(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.notify(n.Payload)
		l.tellObservers(func(o ChannelObserver) { o.Notified(n.Payload) })
	}
}
