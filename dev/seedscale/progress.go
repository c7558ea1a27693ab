package seedscale

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws one bar per phase on a terminal line: the phase, how far it is, and its time.
type progress struct {
	w           io.Writer
	phase       string
	total, done int
	start, last time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) begin(phase string, total int) {
	p.phase, p.total, p.done, p.start, p.last = phase, total, 0, time.Now(), time.Time{}
	p.draw()
}

func (p *progress) add(n int) {
	p.done += n
	if time.Since(p.last) >= 200*time.Millisecond {
		p.draw()
	}
}

func (p *progress) end() {
	p.done = p.total
	p.draw()
	if p.w != nil {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw() {
	if p.w == nil {
		return
	}
	p.last = time.Now()
	frac := 1.0
	if p.total > 0 {
		frac = min(1, float64(p.done)/float64(p.total))
	}
	const width = 30
	filled := int(frac * width)
	fmt.Fprintf(p.w, "\r%-28s [%s%s] %5.1f%% %d/%d %s ", p.phase, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		100*frac, p.done, p.total, time.Since(p.start).Round(100*time.Millisecond))
}
