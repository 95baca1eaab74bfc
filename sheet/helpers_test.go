package sheet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// result is everything a reader returned.
type result struct {
	header  []string
	rows    []Row       // rows returned without error
	errRows []Row       // rows returned with a *RowError
	rowErrs []*RowError // in order
	final   error       // io.EOF or the *FileError that ended reading (or Open's error)
}

// readAll opens path and reads it to the end; maxCalls bounds the loop.
func readAll(t testing.TB, path string, o Options) result {
	t.Helper()
	r, err := Open(path, o)
	if err != nil {
		return result{final: err}
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close(%s) = %v", path, err)
		}
	}()
	res := result{header: r.Header()}
	for calls := 0; calls < 1_000_000; calls++ {
		row, err := r.Next()
		var re *RowError
		switch {
		case err == nil:
			res.rows = append(res.rows, row)
		case errors.As(err, &re):
			res.errRows = append(res.errRows, row)
			res.rowErrs = append(res.rowErrs, re)
		default:
			res.final = err
			return res
		}
	}
	t.Fatalf("readAll(%s): reader never ended", path)
	return res
}

func (r result) nums() []int {
	var n []int
	for _, row := range r.rows {
		n = append(n, row.Num)
	}
	return n
}

func texts(rows []Row) [][]string {
	var out [][]string
	for _, r := range rows {
		out = append(out, r.Texts())
	}
	return out
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func createFile(p string) (*os.File, error) { return os.Create(p) }
