// Package jsonsuite gives tests the JSONTestSuite test_parsing files kept in
// connectors/codec/testdata/jsontestsuite (see its README.md), so that the
// codec, the json module and the one-liner engine test against one copy.
package jsonsuite

import (
	"os"
	"path/filepath"
	"testing"
)

// Files returns the test_parsing files, name to contents, found from the
// module root so that a test does not depend on its own directory. It fails
// t when they are missing.
func Files(t testing.TB) map[string][]byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	files, err := filepath.Glob(filepath.Join(dir, "connectors", "codec", "testdata", "jsontestsuite", "test_parsing", "*.json"))
	if err != nil || len(files) < 300 {
		t.Fatalf("JSONTestSuite files: %d, %v", len(files), err)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}
