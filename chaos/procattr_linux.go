package main

import "syscall"

// procAttr puts a process of the system in its own process group, so that a Ctrl-C reaches this
// program only, which then stops the processes in order; each dies with this program if it is killed.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// serverAttr is procAttr for PostgreSQL, run as the user uid and gid name when set. The parent-death
// signal is set after the switch of user, so it holds for the server.
func serverAttr(uid, gid *uint32) *syscall.SysProcAttr {
	a := procAttr()
	if uid != nil && gid != nil {
		a.Credential = &syscall.Credential{Uid: *uid, Gid: *gid}
	}
	return a
}
