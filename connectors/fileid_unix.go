//go:build unix

package connectors

import (
	"os"
	"syscall"
)

// fileIDOf returns the device and inode of fi.
func fileIDOf(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)} //nolint:unconvert // Dev is int32 on some platforms
	}
	return fileID{}
}
