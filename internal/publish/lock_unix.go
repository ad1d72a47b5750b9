//go:build unix

package publish

import (
	"errors"
	"syscall"
)

// tryLock takes an exclusive advisory lock on fd without blocking; held
// reports that another process has it. The kernel releases the lock when
// the descriptor is closed or the process dies, however it dies.
func tryLock(fd uintptr) (held bool, err error) {
	err = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}
