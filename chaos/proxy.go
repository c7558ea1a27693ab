package main

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// proxy is a TCP proxy between the bank's processes and PostgreSQL that can make the network bad:
// add latency to every chunk of bytes either way, or cut every connection and refuse new ones for a
// while.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	delay time.Duration // the most added to each chunk (a uniform draw up to it); 0: none
	down  bool          // cut: new connections are closed at once
	conns map[net.Conn]struct{}
	rnd   *rand.Rand
	wg    sync.WaitGroup
}

// newProxy listens on a free port of the loopback interface and forwards to target.
func newProxy(target string, seed uint64) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, rnd: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

// setDelay makes each chunk wait up to d (0 heals).
func (p *proxy) setDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// cut closes every connection and refuses new ones until heal.
func (p *proxy) cut() {
	p.mu.Lock()
	p.down = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// heal ends a cut and any delay.
func (p *proxy) heal() {
	p.mu.Lock()
	p.down, p.delay = false, 0
	p.mu.Unlock()
}

func (p *proxy) close() {
	_ = p.ln.Close()
	p.cut()
	p.wg.Wait()
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, up) {
			continue
		}
		p.wg.Add(2)
		go p.pump(up, c)
		go p.pump(c, up)
	}
}

// track registers a connection pair, or closes it when a cut came meanwhile.
func (p *proxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		_ = c.Close()
		_ = up.Close()
		return false
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	return true
}

// pump copies src to dst, each chunk after the delay in force when it was read. Bytes read before a
// peer closed are still delivered: a COMMIT already on the wire reaches the server.
func (p *proxy) pump(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() {
		_ = dst.Close()
		_ = src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := p.chunkDelay(); d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

func (p *proxy) chunkDelay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.delay <= 0 {
		return 0
	}
	return time.Duration(p.rnd.Int64N(int64(p.delay)))
}
