package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ), 100 on Linux.
const clockTicks = 100

// cpuTimes reads how much CPU time (user and system) each process of interest has used so far: this
// process ("bench"), the stack's processes (its children, by command name), and PostgreSQL's server
// processes, summed (those serve every database on the server, not only this run's). It reads
// /proc and returns nothing where there is none.
func cpuTimes() map[string]time.Duration {
	out := map[string]time.Duration{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... with utime and stime the 14th and 15th fields; comm may
		// contain spaces and parentheses, so fields are counted after its closing parenthesis.
		s := string(raw)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		comm := s[open+1 : end]
		fields := strings.Fields(s[end+1:])
		if len(fields) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		name := ""
		switch {
		case pid == self:
			name = "bench"
		case ppid == self:
			name = comm
		case comm == "postgres":
			name = "postgres (all)"
		default:
			continue
		}
		out[name] += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out
}

// cpuSince is the CPU time used by each process since before, dropping processes that came and
// went (such as PostgreSQL connections that closed) rather than showing negative times.
func cpuSince(before map[string]time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, t := range cpuTimes() {
		if d := t - before[name]; d > 0 {
			out[name] = d
		}
	}
	return out
}
