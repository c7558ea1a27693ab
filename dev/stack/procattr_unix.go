//go:build unix && !linux

package stack

import "syscall"

// procAttr puts a child in its own process group, so that a Ctrl-C in the terminal reaches the
// parent only, which then stops the children in order. Without Linux's parent-death signal, a child
// outlives a parent that is killed with SIGKILL.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
