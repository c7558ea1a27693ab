//go:build !unix

package stack

import "syscall"

// procAttr leaves a child in the parent's process group: Linux and macOS are the platforms the stack
// supports.
func procAttr() *syscall.SysProcAttr { return nil }
