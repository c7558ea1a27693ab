//go:build !unix

package main

import "syscall"

// procAttr has nothing to set off Unix: the fault test runs on Linux and macOS.
func procAttr() *syscall.SysProcAttr { return nil }

func serverAttr(_, _ *uint32) *syscall.SysProcAttr { return nil }
