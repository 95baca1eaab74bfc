package sandbox

import (
	"os"
	"syscall"
)

// directAlign is the alignment of the memory, length and file offset of a direct write: the
// largest logical block size of a Linux block device.
const directAlign = 4096

// setDirect turns direct I/O (O_DIRECT: no page cache) on or off for f's later writes. It
// fails where the file system does not support it (tmpfs before Linux 6.6, some FUSE).
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if errno != 0 {
			serr = errno
			return
		}
		if on {
			flags |= syscall.O_DIRECT
		} else {
			flags &^= syscall.O_DIRECT
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags); errno != 0 {
			serr = errno
		}
	}); err != nil {
		return err
	}
	return serr
}
