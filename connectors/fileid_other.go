//go:build !unix

package connectors

import "os"

// fileIDOf has no identity to offer off Unix: a stored position then
// always matches the file at the path (rotation is not detected at resume).
func fileIDOf(os.FileInfo) fileID { return fileID{} }
