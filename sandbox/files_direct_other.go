//go:build !linux

package sandbox

import (
	"errors"
	"os"
)

// directAlign is the alignment of a direct write's memory, length and offset.
const directAlign = 4096

// setDirect reports that direct I/O is not used on this system: uploads are written
// through the page cache.
func setDirect(f *os.File, on bool) error { return errors.ErrUnsupported }
