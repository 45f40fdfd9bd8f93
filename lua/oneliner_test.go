package lua

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/connectors/codec"
)

func runPipe(t *testing.T, opts PipeOptions, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Stdin, opts.Stdout = strings.NewReader(in), &out
	p, err := NewPipe(opts)
	if err != nil {
		return "", err
	}
	err = p.Run(context.Background())
	return out.String(), err
}

func TestPipe(t *testing.T) {
	ndjson := "{\"status\":503, \"user\":\"a\",\"bytes\":2048}\n{\"status\":200,\"user\":\"b\"}\n\n{\"status\":500,\"user\":\"c\",\"bytes\":10}\n"
	for _, tt := range []struct {
		name        string
		opts        PipeOptions
		in, want    string
		wantErr     string
		wantErrCode int
	}{
		{name: "filter passes input bytes", opts: PipeOptions{Expr: "status >= 500", InCodec: "json"}, in: ndjson,
			want: "{\"status\":503, \"user\":\"a\",\"bytes\":2048}\n{\"status\":500,\"user\":\"c\",\"bytes\":10}\n"},
		{name: "reshape", opts: PipeOptions{Expr: "{user = user, kb = math.floor((bytes or 0) / 1024)}", InCodec: "json"}, in: ndjson,
			want: "{\"user\":\"a\",\"kb\":2}\n{\"user\":\"b\",\"kb\":0}\n{\"user\":\"c\",\"kb\":0}\n"},
		{name: "reshape drops nil", opts: PipeOptions{Expr: "{b = bytes, u = user}", InCodec: "json"}, in: ndjson,
			want: "{\"b\":2048,\"u\":\"a\"}\n{\"u\":\"b\"}\n{\"b\":10,\"u\":\"c\"}\n"},
		{name: "record fields", opts: PipeOptions{Expr: "_.status == 200 and _.user", InCodec: "json"}, in: ndjson, want: "b\n"},
		{name: "whole record", opts: PipeOptions{Expr: "_", InCodec: "json"}, in: "{\"b\":1,\"a\":[1,2],\"e\":[],\"o\":{}}\n",
			want: "{\"b\":1,\"a\":[1,2],\"e\":[],\"o\":{}}\n"},
		{name: "local underscore", opts: PipeOptions{Expr: "(function() local _ = {status = 1} return _.status end)()", InCodec: "json"},
			in: ndjson, want: "1\n1\n1\n"},
		{name: "fields shadow globals", opts: PipeOptions{Expr: "type(string)", InCodec: "json"},
			in: "{\"string\":1}\n{}\n", want: "number\ntable\n"},
		{name: "env escape", opts: PipeOptions{Expr: "_G[\"a\" .. \"b\"]", InCodec: "json"}, in: "{\"ab\":7}\n{\"x\":1}\n", want: "7\n"},
		{name: "text line keeps cr", opts: PipeOptions{Expr: "_:upper()"}, in: "a\r\nb", want: "A\r\nB\n"},
		{name: "text is bytes", opts: PipeOptions{Expr: "_:upper() .. _:lower()"}, in: "caf\xe9\xc3\xa9\n", want: "CAF\xe9\xc3\xa9caf\xe9\xc3\xa9\n"},
		{name: "true is byte-identical", opts: PipeOptions{Expr: "true"}, in: "a\r\n\r\n\xff\x00b", want: "a\r\n\r\n\xff\x00b"},
		{name: "json true keeps crlf", opts: PipeOptions{Expr: "true", InCodec: "json"}, in: "{\"a\":1}\r\n{}", want: "{\"a\":1}\r\n{}"},
		{name: "numbers", opts: PipeOptions{Expr: "_ / 2"}, in: "4\n3\n", want: "2\n1.5\n"},
		{name: "tables", opts: PipeOptions{Expr: "{_, 1}", InCodec: "text"}, in: "x\n", want: "[\"x\",1]\n"},
		{name: "empty table", opts: PipeOptions{Expr: "{}"}, in: "x\n", want: "{}\n"},
		{name: "chunk emit", opts: PipeOptions{Expr: "for i = 1, tonumber(_) do emit(i) end"}, in: "2\n1\n", want: "1\n2\n1\n"},
		{name: "chunk return", opts: PipeOptions{Expr: "local n = tonumber(_) if n > 1 then return n * 10 end"}, in: "1\n2\n", want: "20\n"},
		{name: "begin end", opts: PipeOptions{Begin: "n = 0 print('start')", Expr: "n = n + _", End: "print(n)"}, in: "1\n2\n3\n", want: "start\n6\n"},
		{name: "print in order", opts: PipeOptions{Expr: "print('p' .. _) return _"}, in: "1\n2\n", want: "p1\n1\np2\n2\n"},
		{name: "json out", opts: PipeOptions{Expr: "_", OutCodec: "json"}, in: "a\"b\n", want: "\"a\\\"b\"\n"},
		{name: "text to json passthrough", opts: PipeOptions{Expr: "true", OutCodec: "json"}, in: "x\n", want: "\"x\"\n"},
		{name: "csv", opts: PipeOptions{Expr: "age + 0 >= 18 and name", InCodec: "csv"}, in: "name,age\nann,30\nbob,9\n", want: "ann\n"},
		{name: "csv out", opts: PipeOptions{Expr: "{n = user}", InCodec: "json", OutCodec: "csv"}, in: ndjson, want: "n\na\nb\nc\n"},
		{name: "bad json", opts: PipeOptions{Expr: "true", InCodec: "json"}, in: "{}\n{bad\n",
			want: "{}\n", wantErr: "stdin:2: invalid JSON: ", wantErrCode: 3},
		{name: "runtime error", opts: PipeOptions{Expr: "_.x.y", InCodec: "json"}, in: "{\"x\":{}}\n{}\n",
			want: "", wantErr: "expr:1: attempt to index a non-table object(nil) with key 'y' (record stdin:2)", wantErrCode: 1},
		{name: "error call", opts: PipeOptions{Expr: "error('boom')"}, in: "x\n", wantErr: "expr:1: boom (record stdin:1)", wantErrCode: 1},
		{name: "cannot write", opts: PipeOptions{Expr: "print"}, in: "x\n", wantErr: "expr: cannot write a function (record stdin:1)", wantErrCode: 1},
		{name: "begin error", opts: PipeOptions{Begin: "error('no')", Expr: "_"}, in: "x\n", wantErr: "begin:1: no", wantErrCode: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, workers := range []int{1, 3} {
				opts := tt.opts
				opts.Workers = workers
				opts.ChunkLines = 2
				if workers > 1 && strings.HasPrefix(tt.name, "begin") {
					continue // begin and end run per worker
				}
				got, err := runPipe(t, opts, tt.in)
				if tt.wantErr != "" {
					if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || ExitCodeOf(err) != tt.wantErrCode {
						t.Fatalf("w=%d: err = %v (code %d), want %q code %d", workers, err, ExitCodeOf(err), tt.wantErr, tt.wantErrCode)
					}
				} else if err != nil {
					t.Fatalf("w=%d: %v", workers, err)
				}
				if got != tt.want {
					t.Errorf("w=%d: output\n%q\nwant\n%q", workers, got, tt.want)
				}
			}
		})
	}
}

func TestPipeCompileErrors(t *testing.T) {
	for _, tt := range []struct{ expr, begin, want string }{
		{expr: "status >=", want: "expr:1: syntax error at end of file"},
		{expr: "x = = 1", want: "expr:1: syntax error near '='"},
		{expr: "if x then", want: "expr:1: syntax error at end of file"},
		{expr: "_", begin: "x = ", want: "begin:1: syntax error at end of file"},
	} {
		_, err := NewPipe(PipeOptions{Expr: tt.expr, Begin: tt.begin})
		if err == nil || err.Error() != tt.want || ExitCodeOf(err) != ExitUsage {
			t.Errorf("%q: err = %v, want %q (exit 2)", tt.expr, err, tt.want)
		}
	}
}

func TestPipeReads(t *testing.T) {
	for _, tt := range []struct {
		expr, begin string
		names       []string
		whole       bool
	}{
		{expr: "status >= 500", names: []string{"status"}},
		{expr: "_.status >= 500", names: []string{"_.status"}},
		{expr: "{u = user, kb = math.floor(bytes / 1024)}", names: []string{"bytes", "math", "user"}},
		{expr: "f()", begin: "function f() return _ end", names: []string{"f"}, whole: true},
		{expr: "rawget(_G, 'x')", names: []string{"_G", "rawget"}, whole: true},
	} {
		p, err := NewPipe(PipeOptions{Expr: tt.expr, Begin: tt.begin})
		if err != nil {
			t.Fatal(err)
		}
		names, whole := p.Reads()
		if fmt.Sprint(names) != fmt.Sprint(tt.names) || whole != tt.whole {
			t.Errorf("%q: Reads() = %v, %v; want %v, %v", tt.expr, names, whole, tt.names, tt.whole)
		}
	}
}

// TestPipeOrder checks that -w keeps input order over many chunks.
func TestPipeOrder(t *testing.T) {
	var in, want strings.Builder
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&in, "{\"n\":%d}\n", i)
		if i%3 != 0 {
			fmt.Fprintf(&want, "%d\n", i*2)
		}
	}
	got, err := runPipe(t, PipeOptions{Expr: "n % 3 ~= 0 and n * 2", InCodec: "json", Workers: 4, ChunkLines: 7}, in.String())
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Fatalf("output differs from input order (%d bytes, want %d)", len(got), want.Len())
	}
}

// TestPipeInterrupt checks that a cancelled pipe flushes what it produced
// and returns ErrInterrupted while its input blocks.
func TestPipeInterrupt(t *testing.T) {
	pr, pw := pipeIOPipe()
	var out pipeLockedBuffer
	p, err := NewPipe(PipeOptions{Expr: "_", Stdin: pr, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	if _, err := pw.Write([]byte("a\nb\n")); err != nil {
		t.Fatal(err)
	}
	pipeWaitFor(t, func() bool { return out.String() == "a\nb\n" }) // flushed before the blocking read
	cancel()
	if err := <-done; err != ErrInterrupted {
		t.Fatalf("Run = %v, want ErrInterrupted", err)
	}
	pw.Close()
}

// TestPipeJSONTestSuite runs every one-line JSONTestSuite document
// (connectors/codec/testdata/jsontestsuite) through each way `pipe -i json`
// reads a line: pass-through (`true`, also with two workers), the field
// fast path (`a`, which reads one field), and the whole record (`_`). A
// document the json codec rejects is bad input on each (exit 3, naming
// stdin:1); one it accepts passes unchanged through `true` and comes out
// of `_` as the same value.
func TestPipeJSONTestSuite(t *testing.T) {
	json, err := codec.Lookup("json")
	if err != nil {
		t.Fatal(err)
	}
	// canonical is the json codec's compact form of a document.
	canonical := func(b []byte) string {
		v, err := json.Unmarshal(b)
		if err != nil {
			return "error: " + err.Error()
		}
		enc, err := codec.AppendJSON(nil, v)
		if err != nil {
			t.Fatalf("AppendJSON(%#v): %v", v, err)
		}
		return string(enc)
	}
	for name, data := range jsonSuiteFiles(t) {
		doc := bytes.TrimSuffix(data, []byte("\n"))
		if bytes.ContainsAny(doc, "\n") || len(bytes.Trim(doc, " \t\r")) == 0 {
			continue // one document per line: see codec's TestJSONTestSuite
		}
		_, cerr := json.Unmarshal(data)
		if strings.HasPrefix(name, "n_") && cerr == nil || strings.HasPrefix(name, "y_") && cerr != nil {
			t.Fatalf("%s: json codec: %v", name, cerr)
		}
		t.Run(name, func(t *testing.T) {
			for _, o := range []PipeOptions{
				{Expr: "true"}, {Expr: "true", Workers: 2}, {Expr: "a"}, {Expr: "_", OutCodec: "json"},
			} {
				o.InCodec = "json"
				got, err := runPipe(t, o, string(data))
				if cerr != nil {
					if err == nil || ExitCodeOf(err) != ExitBadInput || !strings.HasPrefix(err.Error(), "stdin:1: invalid JSON: ") {
						t.Fatalf("%s (-w %d): err = %v, output %q; want bad input like %v", o.Expr, o.Workers, err, got, cerr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s (-w %d): %v", o.Expr, o.Workers, err)
				}
				switch o.Expr {
				case "true":
					if got != string(data) {
						t.Fatalf("true: %q, want the input %q", got, data)
					}
				case "_":
					if c := canonical(data); got == "" && (c == "null" || c == "false") {
						break // nil and false drop the record
					}
					if canonical([]byte(got)) != canonical(data) {
						t.Fatalf("_ writes %q (%s), the input is %s", got, canonical([]byte(got)), canonical(data))
					}
				}
			}
		})
	}
}

// jsonSuiteFiles returns the JSONTestSuite test_parsing files, found from
// the module root.
func jsonSuiteFiles(t *testing.T) map[string][]byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
			continue
		}
		t.Fatal("no go.mod above the test's directory")
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

// TestPipeFieldMatchesRecord checks that a field read as a global (the
// fast path, which converts only that value) is the value `_` holds.
func TestPipeFieldMatchesRecord(t *testing.T) {
	var in strings.Builder
	for _, v := range []string{`0`, `-0`, `7`, `-42`, `123456789012345`, `1234567890123456`, `9007199254740993`,
		`-9223372036854775809`, `1.5`, `-0.0`, `123e45`, `1E2`, `0.1`, `""`, `"a"`, `"\u00e9\n\"\\"`, `"\ud800"`,
		"\"caf\xe9\"", `"\ud83d\ude00"`, `null`, `true`, `false`, `[]`, `{}`, `[1,{"y":[2]}]`, `{"a":{"b":null}}`} {
		fmt.Fprintf(&in, "{\"x\":%s,\"pad\":1}\n{\"pad\":2,\"x\":%s}\n", v, v)
	}
	field, err := runPipe(t, PipeOptions{Expr: "x", InCodec: "json", OutCodec: "json"}, in.String())
	if err != nil {
		t.Fatal(err)
	}
	record, err := runPipe(t, PipeOptions{Expr: "_.x", InCodec: "json", OutCodec: "json"}, in.String())
	if err != nil {
		t.Fatal(err)
	}
	if field != record {
		t.Fatalf("fields:\n%s\nrecord:\n%s", field, record)
	}
	if n := strings.Count(field, "\n"); n != 2*25 { // false drops the record
		t.Fatalf("%d lines: %q", n, field)
	}
}
