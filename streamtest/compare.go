package streamtest

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/streamctl/streamctl/connectors"
	"github.com/streamctl/streamctl/connectors/codec"
	"github.com/streamctl/streamctl/value"
)

// canon renders a value of the data model (package value) as compact JSON
// with sorted object keys and numbers as Lua prints them (2, not 2.0), so
// two values compare equal when their renderings do. Tables with keys that
// are not strings render their keys as JSON does.
func canon(v any) string {
	var b strings.Builder
	writeCanon(&b, v)
	return b.String()
}

func writeCanon(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float32:
		writeFloat(b, float64(x))
	case float64:
		writeFloat(b, x)
	case value.Number:
		b.WriteString(string(x))
	case string:
		b.WriteString(strconv.Quote(x))
	case []byte:
		b.WriteString(strconv.Quote(string(x)))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanon(b, e)
		}
		b.WriteByte(']')
	case value.Object:
		members := make([][2]any, len(x))
		for i, m := range x {
			members[i] = [2]any{m.Key, m.Value}
		}
		writeMembers(b, members)
	case map[string]any:
		var members [][2]any
		for k, e := range x {
			members = append(members, [2]any{k, e})
		}
		writeMembers(b, members)
	case value.Table:
		members := make([][2]any, len(x))
		for i, e := range x {
			members[i] = [2]any{codec.KeyString(e.Key), e.Value}
		}
		writeMembers(b, members)
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

func writeFloat(b *strings.Builder, f float64) {
	switch {
	case math.IsInf(f, 1):
		b.WriteString("inf")
	case math.IsInf(f, -1):
		b.WriteString("-inf")
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		b.WriteString(strconv.FormatInt(int64(f), 10))
	default:
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	}
}

func writeMembers(b *strings.Builder, members [][2]any) {
	sort.Slice(members, func(i, j int) bool { return members[i][0].(string) < members[j][0].(string) })
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(m[0].(string)))
		b.WriteByte(':')
		writeCanon(b, m[1])
	}
	b.WriteByte('}')
}

// jsonCodec decodes output lines that a test compares with a table.
var jsonCodec, _ = codec.Lookup("json")

// matchLines compares the lines a sink received with the expected outputs
// and returns a diff, "" when they match. An expected string matches a line
// of the same text; any other expected value matches a line holding the
// same value as JSON.
func matchLines(got []string, want []Expected) string {
	var g, w []string
	for i, line := range got {
		g = append(g, line)
		if i >= len(want) {
			continue
		}
		w = append(w, renderLine(line, want[i]))
	}
	for i := len(got); i < len(want); i++ {
		w = append(w, renderExpected(want[i], false))
	}
	return linesDiff(w, g)
}

// renderLine renders an expected output for the diff: as the line itself
// when it matches it.
func renderLine(line string, e Expected) string {
	if s, ok := e.Value.(string); ok && !e.Record {
		return s
	}
	if e.Record {
		return renderExpected(e, false) // records are for Kafka outputs
	}
	v, err := jsonCodec.Unmarshal([]byte(line))
	if err == nil && canon(v) == canon(e.Value) {
		return line
	}
	return canon(e.Value)
}

// renderExpected renders e for the diff; a string value as it is, unless
// quote (records of Kafka topics, whose values are not lines).
func renderExpected(e Expected, quote bool) string {
	if !e.Record {
		if s, ok := e.Value.(string); ok && !quote {
			return s
		}
		return canon(e.Value)
	}
	var parts []string
	if e.HasKey {
		parts = append(parts, "key="+canon(e.Key))
	}
	if e.HasPart {
		parts = append(parts, "partition="+strconv.Itoa(int(e.Partition)))
	}
	for _, k := range sortedKeys(e.Headers) {
		parts = append(parts, "headers."+k+"="+strconv.Quote(e.Headers[k]))
	}
	if e.HasValue {
		parts = append(parts, "value="+canon(e.Value))
	}
	return strings.Join(parts, "\n  ") // a field a line: a readable diff
}

// matchRecords compares the records written to a Kafka topic with the
// expected outputs: a plain expected value is compared with the value; a
// record{} with the fields it gives (headers: those it names).
func matchRecords(got []connectors.Record, want []Expected) string {
	var g, w []string
	for i, r := range got {
		var e *Expected
		if i < len(want) {
			e = &want[i]
		}
		g = append(g, renderRecord(r, e))
		if e != nil {
			w = append(w, renderExpected(*e, true))
		}
	}
	for i := len(got); i < len(want); i++ {
		w = append(w, renderExpected(want[i], true))
	}
	return linesDiff(w, g)
}

// renderRecord renders a written record with the fields e asks about (all
// of them when e is nil), as renderExpected renders e.
func renderRecord(r connectors.Record, e *Expected) string {
	if e != nil && !e.Record {
		return canon(r.Value)
	}
	full := e == nil
	var parts []string
	if full || e.HasKey {
		parts = append(parts, "key="+canon(r.Key))
	}
	if full || e.HasPart {
		p, _ := r.MetaInt("partition")
		parts = append(parts, "partition="+strconv.FormatInt(p, 10))
	}
	h, _ := r.MetaField("headers")
	headers, _ := h.(map[string]any)
	var names []string
	if full {
		for k := range headers {
			names = append(names, k)
		}
		sort.Strings(names)
	} else {
		names = sortedKeys(e.Headers)
	}
	for _, k := range names {
		h, ok := headers[k]
		if !ok {
			parts = append(parts, "headers."+k+" missing")
			continue
		}
		parts = append(parts, "headers."+k+"="+strconv.Quote(fmt.Sprint(h)))
	}
	if full || e.HasValue {
		parts = append(parts, "value="+canon(r.Value))
	}
	return strings.Join(parts, "\n  ")
}

// matchCache compares a cache's entries with the expected ones, as lines
// "key = value" sorted by key.
func matchCache(got [][2]any, want []ExpectedPair) string {
	render := func(k, v any) string { return canon(k) + " = " + canon(v) }
	var g, w []string
	for _, kv := range got {
		g = append(g, render(kv[0], kv[1]))
	}
	for _, kv := range want {
		w = append(w, render(kv.Key, kv.Value))
	}
	sort.Strings(g)
	sort.Strings(w)
	return linesDiff(w, g)
}

// linesDiff returns a unified diff of want and got, "" when equal.
func linesDiff(want, got []string) string {
	if strings.Join(want, "\n") == strings.Join(got, "\n") && len(want) == len(got) {
		return ""
	}
	join := func(l []string) []byte {
		if len(l) == 0 {
			return nil
		}
		return []byte(strings.Join(l, "\n") + "\n")
	}
	d := string(diff.Diff("expected", join(want), "actual", join(got)))
	if _, rest, ok := strings.Cut(d, "\n"); ok && strings.HasPrefix(d, "diff ") {
		d = rest // "diff expected actual": the header lines say it
	}
	return d
}
