//go:build !unix

package kafka

import (
	"errors"
	"os"
)

// tryLock is not implemented off Unix: a data dir needs flock.
func tryLock(*os.File) error {
	return errors.New("locking a data dir is only supported on Unix")
}
