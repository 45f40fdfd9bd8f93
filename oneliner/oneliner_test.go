package oneliner

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/connectors/codec/jsonsuite"

	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/exitcode"
)

func runPipe(t *testing.T, opts Options, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	p, err := New(opts)
	if err != nil {
		return "", err
	}
	err = p.Run(context.Background(), strings.NewReader(in), &out)
	return out.String(), err
}

func TestPipe(t *testing.T) {
	ndjson := "{\"status\":503, \"user\":\"a\",\"bytes\":2048}\n{\"status\":200,\"user\":\"b\"}\n\n{\"status\":500,\"user\":\"c\",\"bytes\":10}\n"
	for _, tt := range []struct {
		name        string
		opts        Options
		in, want    string
		wantErr     string
		wantErrCode int
	}{
		{name: "filter passes input bytes", opts: Options{Expr: "status >= 500", InCodec: "json"}, in: ndjson,
			want: "{\"status\":503, \"user\":\"a\",\"bytes\":2048}\n{\"status\":500,\"user\":\"c\",\"bytes\":10}\n"},
		{name: "reshape", opts: Options{Expr: "{user = user, kb = math.floor((bytes or 0) / 1024)}", InCodec: "json"}, in: ndjson,
			want: "{\"user\":\"a\",\"kb\":2}\n{\"user\":\"b\",\"kb\":0}\n{\"user\":\"c\",\"kb\":0}\n"},
		{name: "reshape drops nil", opts: Options{Expr: "{b = bytes, u = user}", InCodec: "json"}, in: ndjson,
			want: "{\"b\":2048,\"u\":\"a\"}\n{\"u\":\"b\"}\n{\"b\":10,\"u\":\"c\"}\n"},
		{name: "record fields", opts: Options{Expr: "_.status == 200 and _.user", InCodec: "json"}, in: ndjson, want: "b\n"},
		{name: "whole record", opts: Options{Expr: "_", InCodec: "json"}, in: "{\"b\":1,\"a\":[1,2],\"e\":[],\"o\":{}}\n",
			want: "{\"b\":1,\"a\":[1,2],\"e\":[],\"o\":{}}\n"},
		{name: "local underscore", opts: Options{Expr: "(function() local _ = {status = 1} return _.status end)()", InCodec: "json"},
			in: ndjson, want: "1\n1\n1\n"},
		{name: "fields shadow globals", opts: Options{Expr: "type(string)", InCodec: "json"},
			in: "{\"string\":1}\n{}\n", want: "number\ntable\n"},
		{name: "env escape", opts: Options{Expr: "_G[\"a\" .. \"b\"]", InCodec: "json"}, in: "{\"ab\":7}\n{\"x\":1}\n", want: "7\n"},
		{name: "text line keeps cr", opts: Options{Expr: "_:upper()"}, in: "a\r\nb", want: "A\r\nB\n"},
		{name: "text is bytes", opts: Options{Expr: "_:upper() .. _:lower()"}, in: "caf\xe9\xc3\xa9\n", want: "CAF\xe9\xc3\xa9caf\xe9\xc3\xa9\n"},
		{name: "true is byte-identical", opts: Options{Expr: "true"}, in: "a\r\n\r\n\xff\x00b", want: "a\r\n\r\n\xff\x00b"},
		{name: "json true keeps crlf", opts: Options{Expr: "true", InCodec: "json"}, in: "{\"a\":1}\r\n{}", want: "{\"a\":1}\r\n{}"},
		{name: "numbers", opts: Options{Expr: "_ / 2"}, in: "4\n3\n", want: "2\n1.5\n"},
		{name: "tables", opts: Options{Expr: "{_, 1}", InCodec: "text"}, in: "x\n", want: "[\"x\",1]\n"},
		{name: "empty table", opts: Options{Expr: "{}"}, in: "x\n", want: "{}\n"},
		{name: "chunk emit", opts: Options{Expr: "for i = 1, tonumber(_) do emit(i) end"}, in: "2\n1\n", want: "1\n2\n1\n"},
		{name: "chunk return", opts: Options{Expr: "local n = tonumber(_) if n > 1 then return n * 10 end"}, in: "1\n2\n", want: "20\n"},
		{name: "begin end", opts: Options{Begin: "n = 0 print('start')", Expr: "n = n + _", End: "print(n)"}, in: "1\n2\n3\n", want: "start\n6\n"},
		{name: "print in order", opts: Options{Expr: "print('p' .. _) return _"}, in: "1\n2\n", want: "p1\n1\np2\n2\n"},
		{name: "json out", opts: Options{Expr: "_", OutCodec: "json"}, in: "a\"b\n", want: "\"a\\\"b\"\n"},
		{name: "text to json passthrough", opts: Options{Expr: "true", OutCodec: "json"}, in: "x\n", want: "\"x\"\n"},
		{name: "csv", opts: Options{Expr: "age + 0 >= 18 and name", InCodec: "csv"}, in: "name,age\nann,30\nbob,9\n", want: "ann\n"},
		{name: "csv out", opts: Options{Expr: "{n = user}", InCodec: "json", OutCodec: "csv"}, in: ndjson, want: "n\na\nb\nc\n"},
		{name: "bad json", opts: Options{Expr: "true", InCodec: "json"}, in: "{}\n{bad\n",
			want: "{}\n", wantErr: "stdin:2: invalid JSON: ", wantErrCode: 3},
		{name: "runtime error", opts: Options{Expr: "_.x.y", InCodec: "json"}, in: "{\"x\":{}}\n{}\n",
			want: "", wantErr: "expr:1: attempt to index a non-table object(nil) with key 'y' (record stdin:2)", wantErrCode: 1},
		{name: "error call", opts: Options{Expr: "error('boom')"}, in: "x\n", wantErr: "expr:1: boom (record stdin:1)", wantErrCode: 1},
		{name: "cannot write", opts: Options{Expr: "print"}, in: "x\n", wantErr: "expr: cannot write a function (record stdin:1)", wantErrCode: 1},
		{name: "begin error", opts: Options{Begin: "error('no')", Expr: "_"}, in: "x\n", wantErr: "begin:1: no", wantErrCode: 1},
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
					if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || exitcode.Of(err) != tt.wantErrCode {
						t.Fatalf("w=%d: err = %v (code %d), want %q code %d", workers, err, exitcode.Of(err), tt.wantErr, tt.wantErrCode)
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

// TestPipeNilSafeComparisons: an ordering comparison with nil (a missing
// field) is false, so a jq-like filter drops the record and goes on;
// comparisons of other types behave as in Lua.
func TestPipeNilSafeComparisons(t *testing.T) {
	var many, manyOut strings.Builder // more records lacking the field than fastRetries
	for i := 0; i < 3*fastRetries; i++ {
		fmt.Fprintf(&many, "{\"id\":%d}\n{\"status\":%d}\n", i, 500+i)
		fmt.Fprintf(&manyOut, "{\"status\":%d}\n", 500+i)
	}
	for _, tt := range []struct {
		name, expr, begin, in, want, wantErr string
	}{
		{name: "missing field", expr: "status >= 500", in: "{\"status\":500}\n{\"id\":2}\n{\"status\":404}\n{\"status\":503}\n",
			want: "{\"status\":500}\n{\"status\":503}\n"},
		{name: "every operator", expr: "{a < 1, a <= 1, a > 1, a >= 1, 1 < a, 1 <= a, 1 > a, 1 >= a, a == 1, a ~= 1}", in: "{}\n{\"a\":1}\n",
			want: "[false,false,false,false,false,false,false,false,false,true]\n[false,true,false,true,false,true,false,true,true,false]\n"},
		{name: "negative constant", expr: "x > -5", in: "{}\n{\"x\":0}\n", want: "{\"x\":0}\n"},
		{name: "two fields", expr: "a < b", in: "{\"a\":1,\"b\":2}\n{\"a\":1}\n{\"b\":1}\n{\"a\":\"x\",\"b\":\"y\"}\n",
			want: "{\"a\":1,\"b\":2}\n{\"a\":\"x\",\"b\":\"y\"}\n"},
		{name: "string constant", expr: "name >= \"m\"", in: "{\"name\":\"zed\"}\n{}\n{\"name\":\"al\"}\n", want: "{\"name\":\"zed\"}\n"},
		{name: "record field", expr: "_.status >= 500 and _.user ~= \"u1\"", in: "{\"user\":\"u2\"}\n{\"status\":501,\"user\":\"u2\"}\n",
			want: "{\"status\":501,\"user\":\"u2\"}\n"},
		{name: "not of a comparison with nil", expr: "not (status >= 500)", in: "{}\n{\"status\":501}\n", want: "{}\n"},
		{name: "call result", expr: "tonumber(age) >= 18", in: "{\"age\":\"20\"}\n{\"age\":\"x\"}\n{}\n", want: "{\"age\":\"20\"}\n"},
		{name: "table result", expr: "{big = n > 10}", in: "{\"n\":11}\n{}\n", want: "{\"big\":true}\n{\"big\":false}\n"},
		{name: "chunk", expr: "if status >= 500 then return status end", in: "{}\n{\"status\":502}\n", want: "502\n"},
		{name: "begin", begin: "big = limit > 1", expr: "big == false", in: "{}\n", want: "{}\n"},
		{name: "more failures than retries", expr: "status >= 500", in: many.String(), want: manyOut.String()},
		{name: "string against number", expr: "status >= 500", in: "{\"status\":\"500\"}\n",
			wantErr: "expr:1: attempt to compare number with string (record stdin:1)"},
		{name: "string against number, both fields", expr: "a < b", in: "{\"a\":\"x\",\"b\":1}\n",
			wantErr: "expr:1: attempt to compare string with number (record stdin:1)"},
		{name: "arithmetic on nil still fails", expr: "bytes / 1024 > 1", in: "{}\n",
			wantErr: "expr:1: cannot perform div operation between nil and number (record stdin:1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, workers := range []int{1, 2} {
				got, err := runPipe(t, Options{Expr: tt.expr, Begin: tt.begin, InCodec: "json", Workers: workers, ChunkLines: 3}, tt.in)
				if tt.wantErr != "" {
					if err == nil || err.Error() != tt.wantErr {
						t.Fatalf("w=%d: err = %v, want %s", workers, err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("w=%d: %v", workers, err)
				}
				if got != tt.want {
					t.Errorf("w=%d: output\n%q\nwant\n%q", workers, got, tt.want)
				}
			}
		})
	}
}

// TestPipeFastExpression: an expression that calls nothing is compiled a
// second time without nil-safe comparisons, which the filter benchmark runs.
func TestPipeFastExpression(t *testing.T) {
	for _, tt := range []struct {
		expr string
		fast bool
	}{
		{"status >= 500", true},
		{"_.status >= 500 and _.user ~= \"u1\"", true},
		{"{big = n > 10}", true},
		{"_.user == \"u1\"", false},           // nothing to make nil-safe
		{"tonumber(age) >= 18", false},        // a call may have effects
		{"if n > 1 then return n end", false}, // a chunk
		{"(function() return n > 1 end)()", false},
	} {
		p, err := New(Options{Expr: tt.expr})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.progs.fast != nil; got != tt.fast {
			t.Errorf("%q: fast = %t, want %t", tt.expr, got, tt.fast)
		}
	}
}

func TestPipeCompileErrors(t *testing.T) {
	for _, tt := range []struct{ expr, begin, want string }{
		{expr: "status >=", want: "expr:1: syntax error at end of file"},
		{expr: "x = = 1", want: "expr:1: syntax error near '='"},
		{expr: "if x then", want: "expr:1: syntax error at end of file"},
		{expr: "_", begin: "x = ", want: "begin:1: syntax error at end of file"},
	} {
		_, err := New(Options{Expr: tt.expr, Begin: tt.begin})
		if err == nil || err.Error() != tt.want || exitcode.Of(err) != exitcode.Usage {
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
		p, err := New(Options{Expr: tt.expr, Begin: tt.begin})
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
	got, err := runPipe(t, Options{Expr: "n % 3 ~= 0 and n * 2", InCodec: "json", Workers: 4, ChunkLines: 7}, in.String())
	if err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Fatalf("output differs from input order (%d bytes, want %d)", len(got), want.Len())
	}
}

// TestPipeInterrupt checks that a cancelled pipe flushes what it produced
// and returns exitcode.ErrInterrupted while its input blocks.
func TestPipeInterrupt(t *testing.T) {
	pr, pw := pipeIOPipe()
	var out pipeLockedBuffer
	p, err := New(Options{Expr: "_"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, pr, &out) }()
	if _, err := pw.Write([]byte("a\nb\n")); err != nil {
		t.Fatal(err)
	}
	pipeWaitFor(t, func() bool { return out.String() == "a\nb\n" }) // flushed before the blocking read
	cancel()
	if err := <-done; err != exitcode.ErrInterrupted {
		t.Fatalf("Run = %v, want exitcode.ErrInterrupted", err)
	}
	pw.Close()
}

// TestPipeInterruptRunsEnd: on a signal (a cancelled ctx) while the input
// blocks, the records read so far are evaluated, End runs with what they
// left in the globals, and Run returns exitcode.ErrInterrupted (exit 130).
func TestPipeInterruptRunsEnd(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("w=%d", workers), func(t *testing.T) {
			pr, pw := pipeIOPipe()
			defer pw.Close()
			var out pipeLockedBuffer
			p, err := New(Options{Begin: "n = 0", Expr: "n = n + 1 return _", End: "print('n=' .. n)", Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx, pr, &out) }()
			if _, err := pw.Write([]byte("a\nb\nc\n")); err != nil {
				t.Fatal(err)
			}
			pipeWaitFor(t, func() bool { return out.String() == "a\nb\nc\n" })
			cancel()
			if err := <-done; err != exitcode.ErrInterrupted {
				t.Fatalf("Run = %v, want exitcode.ErrInterrupted", err)
			}
			got := out.String()
			want := "a\nb\nc\nn=3\n"
			if workers == 2 { // each worker runs End with its own count
				var a, b int
				if _, err := fmt.Sscanf(strings.TrimPrefix(got, "a\nb\nc\n"), "n=%d\nn=%d\n", &a, &b); err != nil || a+b != 3 {
					t.Fatalf("output %q: want the end of both workers counting 3 records", got)
				}
				return
			}
			if got != want {
				t.Fatalf("output %q, want %q", got, want)
			}
		})
	}
}

// TestPipeLineLimit: a line may hold codec.MaxLineSize (16 MiB) bytes; a
// longer one is bad input naming its line, after the lines before it.
func TestPipeLineLimit(t *testing.T) {
	max := strings.Repeat("a", codec.MaxLineSize)
	for _, tt := range []struct{ name, in, want, wantErr string }{
		{"at the limit", max + "\nb\n", "16777216\n1\n", ""},
		{"at the limit, CRLF", max + "\r\n", "16777217\n", ""}, // the "\r" stays in _ but is not counted
		{"at the limit, last line", "b\n" + max, "1\n16777216\n", ""},
		{"over", "b\n" + max + "a\nc\n", "1\n", "stdin:2: line longer than 16 MiB"},
		{"over, last line", "b\n" + max + "a", "1\n", "stdin:2: line longer than 16 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runPipe(t, Options{Expr: "#_"}, tt.in)
			if got != tt.want {
				t.Errorf("output %q, want %q", got, tt.want)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr || exitcode.Of(err) != exitcode.BadInput) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
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
	for name, data := range jsonsuite.Files(t) {
		doc := bytes.TrimSuffix(data, []byte("\n"))
		if bytes.ContainsAny(doc, "\n") || len(bytes.Trim(doc, " \t\r")) == 0 {
			continue // one document per line: see codec's TestJSONTestSuite
		}
		_, cerr := json.Unmarshal(data)
		if strings.HasPrefix(name, "n_") && cerr == nil || strings.HasPrefix(name, "y_") && cerr != nil {
			t.Fatalf("%s: json codec: %v", name, cerr)
		}
		t.Run(name, func(t *testing.T) {
			for _, o := range []Options{
				{Expr: "true"}, {Expr: "true", Workers: 2}, {Expr: "a"}, {Expr: "_", OutCodec: "json"},
			} {
				o.InCodec = "json"
				got, err := runPipe(t, o, string(data))
				if cerr != nil {
					if err == nil || exitcode.Of(err) != exitcode.BadInput || !strings.HasPrefix(err.Error(), "stdin:1: invalid JSON: ") {
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

// TestPipeFieldMatchesRecord checks that a field read as a global (the
// fast path, which converts only that value) is the value `_` holds.
func TestPipeFieldMatchesRecord(t *testing.T) {
	var in strings.Builder
	for _, v := range []string{`0`, `-0`, `7`, `-42`, `123456789012345`, `1234567890123456`, `9007199254740993`,
		`-9223372036854775809`, `1.5`, `-0.0`, `123e45`, `1E2`, `0.1`, `""`, `"a"`, `"\u00e9\n\"\\"`, `"\ud800"`,
		"\"caf\xe9\"", `"\ud83d\ude00"`, `null`, `true`, `false`, `[]`, `{}`, `[1,{"y":[2]}]`, `{"a":{"b":null}}`} {
		fmt.Fprintf(&in, "{\"x\":%s,\"pad\":1}\n{\"pad\":2,\"x\":%s}\n", v, v)
	}
	field, err := runPipe(t, Options{Expr: "x", InCodec: "json", OutCodec: "json"}, in.String())
	if err != nil {
		t.Fatal(err)
	}
	record, err := runPipe(t, Options{Expr: "_.x", InCodec: "json", OutCodec: "json"}, in.String())
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
