//go:build unix && !linux

package main

import "syscall"

// procAttr puts a process of the system in its own process group, so that a Ctrl-C reaches this
// program only, which then stops the processes in order. Without Linux's parent-death signal, the
// processes outlive this program if it is killed.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// serverAttr is procAttr for PostgreSQL, run as the user uid and gid name when set.
func serverAttr(uid, gid *uint32) *syscall.SysProcAttr {
	a := procAttr()
	if uid != nil && gid != nil {
		a.Credential = &syscall.Credential{Uid: *uid, Gid: *gid}
	}
	return a
}
