//go:build !linux

package testenv

import "syscall"

// procAttr has nothing to set without Linux's parent-death signal: a server started for a test
// stops at the test's cleanup, but outlives a test binary that is killed.
func procAttr() *syscall.SysProcAttr { return nil }
