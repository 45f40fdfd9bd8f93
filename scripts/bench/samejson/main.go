// Command samejson compares two files of JSON lines, as scripts/bench/run.sh
// checks every tool's output against streamctl's. It prints "same" when the
// files are byte-identical, "same values" when each line holds the same
// JSON value (object keys in any order, numbers equal as float64, other
// spacing: gojq sorts keys, Miller puts a space after each colon), and
// otherwise "DIFFERENT: line N" with exit status 1.
//
//	samejson A B
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: samejson A B")
		os.Exit(2)
	}
	verdict, err := compare(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "samejson:", err)
		os.Exit(2)
	}
	fmt.Println(verdict)
	if verdict != "same" && verdict != "same values" {
		os.Exit(1)
	}
}

func compare(a, b string) (string, error) {
	da, err := os.ReadFile(a)
	if err != nil {
		return "", err
	}
	db, err := os.ReadFile(b)
	if err != nil {
		return "", err
	}
	if bytes.Equal(da, db) {
		return "same", nil
	}
	ra, rb := bufio.NewReader(bytes.NewReader(da)), bufio.NewReader(bytes.NewReader(db))
	for line := 1; ; line++ {
		la, errA := ra.ReadBytes('\n')
		lb, errB := rb.ReadBytes('\n')
		if errA == io.EOF && errB == io.EOF && len(la) == 0 && len(lb) == 0 {
			return "same values", nil
		}
		if !sameValue(la, lb) {
			return fmt.Sprintf("DIFFERENT: line %d", line), nil
		}
		if errA != nil || errB != nil {
			if (errA == io.EOF) != (errB == io.EOF) {
				return fmt.Sprintf("DIFFERENT: line %d", line+1), nil
			}
			return "same values", nil
		}
	}
}

func sameValue(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b))
	}
	return reflect.DeepEqual(va, vb)
}
