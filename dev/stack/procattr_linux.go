package stack

import "syscall"

// procAttr puts a child in its own process group, so that a Ctrl-C in the terminal reaches the
// parent only, which then stops the children in order; the child dies with the parent if the parent
// is killed.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
