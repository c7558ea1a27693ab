package testenv

import "syscall"

// procAttr makes a server started for a test die with the test binary, even when it is killed.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
