package bindings_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamctl/streamctl/connectors/codec/jsonsuite"

	"github.com/streamctl/streamctl/connectors/codec"
)

// TestJSONDecodeTestSuite runs json.decode over every JSONTestSuite
// document (connectors/codec/testdata/jsontestsuite): it rejects exactly
// what the json codec rejects, with the codec's message, and what it
// accepts json.encode writes back as the same value.
func TestJSONDecodeTestSuite(t *testing.T) {
	files := jsonsuite.Files(t)
	var set [][2]string
	for name, data := range files {
		set = append(set, [2]string{name, string(data)})
	}
	slices.SortFunc(set, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	out, stderr, err := runJob(t, "", `
local names = {}
for k in pairs(args) do if type(k) == "string" then names[#names + 1] = k end end
table.sort(names)
for _, name in ipairs(names) do
  local ok, v = pcall(json.decode, args[name])
  if ok then
    print(name .. "\tok\t" .. json.encode(v))
  else
    print(name .. "\terr\t" .. v)
  end
end
`, set)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	json, err := codec.Lookup("json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d files", len(lines), len(files))
	}
	for _, line := range lines {
		name, rest, _ := strings.Cut(line, "\t")
		result, text, _ := strings.Cut(rest, "\t")
		want, cerr := json.Unmarshal(files[name])
		switch {
		case cerr != nil:
			if result != "err" || text != "job.lua:6: json.decode: "+cerr.Error() {
				t.Errorf("%s: json.decode gives %s %q; want the error %q", name, result, text, cerr)
			}
		case result != "ok":
			t.Errorf("%s: json.decode: %s", name, text)
		default:
			got, err := json.Unmarshal([]byte(text))
			if err != nil {
				t.Errorf("%s: json.encode wrote %q: %v", name, text, err)
				continue
			}
			a, _ := codec.AppendJSON(nil, got)
			b, _ := codec.AppendJSON(nil, want)
			if string(a) != string(b) {
				t.Errorf("%s: json.decode then json.encode gives %s, the input is %s", name, a, b)
			}
		}
	}
}
