#!/usr/bin/env bash
# The one-liner benchmark: `streamctl pipe` against jq, gawk, lua5.4 and
# luajit on the same generated NDJSON, in one run, plus start-up time, RSS
# over a 10M-line stream and -w 2 against -w 1 on a CPU-bound expression.
#
# Usage: scripts/bench/pipe.sh [LINES]     (default 1000000)
#   REPS=N       runs per command, best and median kept (default 3)
#   MEM_LINES=N  lines streamed for the RSS check (default 10000000; 0 skips it)
#   GO_BENCH=1   also run the Go micro-benchmarks of the codecs, the Lua call
#                path and the pipe engine (`just bench` runs every Go
#                benchmark after this script anyway)
#
# Data, outputs and the binary go to scripts/bench/data/ (git-ignored). Every
# tool's output must be byte-identical to streamctl's for the same task (the
# "output" column); the script exits 1 otherwise. Times are the best of REPS
# runs (wall and CPU = user + sys, each the best separately): on a shared
# machine the best run is the least disturbed, and CPU time moves much less
# than wall time. The load average is printed before and after. Columns
# "jq/x" and "jit/x" are jq's and luajit's time divided by the row's: how
# many times faster than jq / luajit the row is.
# Missing tools are installed with apt-get when running as root, else skipped.
set -euo pipefail

cd "$(dirname "$0")/../.."
lines=${1:-1000000}
reps=${REPS:-3}
mem_lines=${MEM_LINES:-10000000}
data=scripts/bench/data
mkdir -p "$data"
in=$data/access.ndjson

have() { command -v "$1" > /dev/null 2>&1; }
missing=()
for tool in jq gawk lua5.4 luajit; do have "$tool" || missing+=("$tool"); done
if ((${#missing[@]})); then
  if [[ $EUID -eq 0 ]] && have apt-get; then
    echo "installing ${missing[*]} with apt-get" >&2
    apt-get install -y -q "${missing[@]}" > /dev/null ||
      { apt-get update -q > /dev/null && apt-get install -y -q "${missing[@]}" > /dev/null; } || true
  fi
  for tool in "${missing[@]}"; do
    have "$tool" || echo "note: $tool is not installed; its rows are skipped (apt-get install $tool)" >&2
  done
fi

if [[ ! -s $in || $(wc -l < "$in") -ne $lines ]]; then
  echo "generating $lines lines into $in" >&2
  go run ./scripts/bench/gen -n "$lines" > "$in"
fi
go build -o "$data/streamctl" ./cmd/streamctl
go build -o "$data/timeit" ./scripts/bench/timeit
go build -o "$data/rss" ./scripts/bench/rss
sc=$data/streamctl
lua=scripts/bench/lua

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3)"
echo "tools: $(jq --version 2>/dev/null || echo 'no jq'), $(gawk --version 2>/dev/null | head -1 | cut -d, -f1 || echo 'no gawk'), $(lua5.4 -v 2>/dev/null | cut -d' ' -f1-2 || echo 'no lua5.4'), $(luajit -v 2>/dev/null | cut -d' ' -f1-2 || echo 'no luajit')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME CMD...: runs CMD REPS times on $in into $data/NAME.out and keeps
# the best wall and CPU seconds.
declare -A wall cpu
run() {
  local name=$1; shift
  local t
  t=$("$data/timeit" -n "$reps" -in "$in" -out "$data/$name.out" -- "$@")
  read -r w _ c _ <<< "$t"
  wall[$name]=$w
  cpu[$name]=$c
}

# ratio A B KIND: A's time over B's ("-" when either is missing).
ratio() {
  local -n m=$3
  if [[ -n ${m[$1]:-} && -n ${m[$2]:-} ]]; then
    awk -v a="${m[$1]}" -v b="${m[$2]}" 'BEGIN { printf "%.1fx", a / b }'
  else
    echo "-"
  fi
}

status=0
# row LABEL NAME REF: a table row; the output must equal REF's exactly.
row() {
  local label=$1 name=$2 ref=$3 check
  [[ -n ${wall[$name]:-} ]] || return 0
  if [[ $name == "$ref" ]]; then
    check="reference"
  elif cmp -s "$data/$name.out" "$data/$ref.out"; then
    check="same"
  else
    check="DIFFERENT"
    status=1
  fi
  printf '| %-70s | %6.2f | %6.2f | %7s | %7s | %7s | %7s | %8d | %-9s |\n' "$label" \
    "${wall[$name]}" "${cpu[$name]}" "$(ratio "$base" "$name" wall)" "$(ratio "$base" "$name" cpu)" \
    "$(ratio "$jit" "$name" wall)" "$(ratio "$jit" "$name" cpu)" "$(wc -l < "$data/$name.out")" "$check"
}
header() {
  echo
  echo "### $1"
  echo
  printf '| %-70s | %6s | %6s | %7s | %7s | %7s | %7s | %8s | %-9s |\n' \
    "command ($lines lines, $(du -m "$in" | cut -f1) MB)" "wall s" "cpu s" "jq/x" "jq/x cpu" "jit/x" "jit/x cpu" "lines" "output"
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..72})" "-------:" "-------:" "--------:" "--------:" "--------:" "--------:" "---------:" "-----------"
}

# 1. Filter.
run sc_filter "$sc" pipe -i json 'status >= 500'
run sc_filter_w2 "$sc" pipe -w 2 -i json 'status >= 500'
have jq && run jq_filter jq -c 'select(.status >= 500)'
have gawk && run gawk_filter gawk -F'"status":' '{ split($2, a, ","); if (a[1] + 0 >= 500) print }'
have lua5.4 && run lua_filter lua5.4 "$lua/filter.lua"
have luajit && run jit_filter luajit "$lua/filter.lua"
# 2. Reshape.
run sc_reshape "$sc" pipe -i json '{user = user, kb = math.floor(bytes / 1024)}'
have jq && run jq_reshape jq -c '{user: .user, kb: (.bytes / 1024 | floor)}'
have gawk && run gawk_reshape gawk '{ match($0, /"user":"[^"]*"/); u = substr($0, RSTART + 8, RLENGTH - 9); match($0, /"bytes":[0-9]+/); printf "{\"user\":\"%s\",\"kb\":%d}\n", u, int(substr($0, RSTART + 8, RLENGTH - 8) / 1024) }'
have lua5.4 && run lua_reshape lua5.4 "$lua/reshape.lua"
have luajit && run jit_reshape luajit "$lua/reshape.lua"
# 3. An expression using _ (the whole record).
run sc_record "$sc" pipe -i json '_.status >= 500 and _.user ~= "u1"'
have jq && run jq_record jq -c 'select(.status >= 500 and .user != "u1")'
have gawk && run gawk_record gawk '{ match($0, /"status":[0-9]+/); s = substr($0, RSTART + 9, RLENGTH - 9) + 0; match($0, /"user":"[^"]*"/); if (s >= 500 && substr($0, RSTART + 8, RLENGTH - 9) != "u1") print }'
have lua5.4 && run lua_record lua5.4 "$lua/record.lua"
have luajit && run jit_record luajit "$lua/record.lua"
# 4. CPU-bound: a hash of path per record, -w 1 against -w 2, interleaved.
hash='local h = 0 for i = 1, #path do h = (h * 31 + path:byte(i)) % 65521 end return h % 2 == 0'
run sc_hash "$sc" pipe -i json "$hash"
run sc_hash_w2 "$sc" pipe -w 2 -i json "$hash"
have jq && run jq_hash jq -c 'select((.path | explode | reduce .[] as $c (0; (. * 31 + $c) % 65521)) % 2 == 0)'
have lua5.4 && run lua_hash lua5.4 "$lua/hash.lua"
have luajit && run jit_hash luajit "$lua/hash.lua"
# The parallelism the machine offered at that moment: two luajit processes
# at once against one.
if have luajit; then
  run jit_hash_x2 bash -c "luajit $lua/hash.lua < $in > $data/jit_hash_x2b.out & luajit $lua/hash.lua; wait"
fi

base=jq_filter jit=jit_filter
header "Filter: status >= 500"
row "streamctl pipe -i json 'status >= 500'" sc_filter sc_filter
row "streamctl pipe -w 2 -i json 'status >= 500'" sc_filter_w2 sc_filter
row "jq -c 'select(.status >= 500)'" jq_filter sc_filter
row "gawk -F'\"status\":' '{ split(\$2, a, \",\"); if (a[1] + 0 >= 500) print }'" gawk_filter sc_filter
row "lua5.4 scripts/bench/lua/filter.lua (string patterns)" lua_filter sc_filter
row "luajit scripts/bench/lua/filter.lua (string patterns)" jit_filter sc_filter
base=jq_reshape jit=jit_reshape
header "Reshape: {user = user, kb = math.floor(bytes / 1024)}"
row "streamctl pipe -i json '{user = user, kb = math.floor(bytes / 1024)}'" sc_reshape sc_reshape
row "jq -c '{user: .user, kb: (.bytes / 1024 | floor)}'" jq_reshape sc_reshape
row "gawk '{ match(...); printf ... }'" gawk_reshape sc_reshape
row "lua5.4 scripts/bench/lua/reshape.lua" lua_reshape sc_reshape
row "luajit scripts/bench/lua/reshape.lua" jit_reshape sc_reshape
base=jq_record jit=jit_record
header "Whole record: _.status >= 500 and _.user ~= \"u1\""
row "streamctl pipe -i json '_.status >= 500 and _.user ~= \"u1\"'" sc_record sc_record
row "jq -c 'select(.status >= 500 and .user != \"u1\")'" jq_record sc_record
row "gawk '{ match(...) ... }'" gawk_record sc_record
row "lua5.4 scripts/bench/lua/record.lua" lua_record sc_record
row "luajit scripts/bench/lua/record.lua" jit_record sc_record
base=jq_hash jit=jit_hash
header "CPU-bound: hash of path (20 loop iterations per record)"
row "streamctl pipe -i json 'local h = 0 for i = 1, #path do ... end return h % 2 == 0'" sc_hash sc_hash
row "streamctl pipe -w 2 -i json (same)" sc_hash_w2 sc_hash
row "jq -c 'select((.path | explode | reduce ...) % 2 == 0)'" jq_hash sc_hash
row "lua5.4 scripts/bench/lua/hash.lua" lua_hash sc_hash
row "luajit scripts/bench/lua/hash.lua" jit_hash sc_hash
echo
echo "-w 2 against -w 1 (hash, wall): $(ratio sc_hash sc_hash_w2 wall); filter: $(ratio sc_filter sc_filter_w2 wall)"
if [[ -n ${wall[jit_hash_x2]:-} ]]; then
  echo "parallelism the machine offered: two luajit hash runs at once took ${wall[jit_hash_x2]} s against ${wall[jit_hash]} s for one: $(awk -v a="${wall[jit_hash]}" -v b="${wall[jit_hash_x2]}" 'BEGIN { printf "%.2fx", 2 * a / b }')"
fi

echo
echo "### Start-up: streamctl pipe true < /dev/null"
echo
# The rows below streamctl's are the floors it is measured against: the
# smallest Go program, the same binary built without cgo (a static binary,
# as release builds are), and the other tools' own start-up.
CGO_ENABLED=0 go build -o "$data/streamctl-nocgo" ./cmd/streamctl
go build -o "$data/nop" ./scripts/bench/nop
echo "| command (50 runs) | wall best | wall median | CPU best | page faults |"
echo "|---|---|---|---|---|"
startup() {
  local label=$1; shift
  have "$1" || [[ -x $1 ]] || return 0
  read -r w m c _ f <<< "$("$data/timeit" -n 50 -- "$@")"
  awk -v l="$label" -v w="$w" -v m="$m" -v c="$c" -v f="$f" \
    'BEGIN { printf "| %s | %.1f ms | %.1f ms | %.1f ms | %d |\n", l, w * 1000, m * 1000, c * 1000, f }'
}
startup "streamctl pipe true" "$sc" pipe true
startup "streamctl version (no Lua state)" "$sc" version
startup "streamctl pipe true, CGO_ENABLED=0 build" "$data/streamctl-nocgo" pipe true
startup "empty Go program (scripts/bench/nop)" "$data/nop"
startup "jq -n empty" jq -n empty
startup "gawk 'BEGIN {}'" gawk 'BEGIN {}'
startup "lua5.4 -e ''" lua5.4 -e ''
startup "luajit -e ''" luajit -e ''

if ((mem_lines > 0)); then
  echo
  echo "### RSS: $mem_lines generated lines through a pipe into streamctl pipe -i json 'status >= 500'"
  echo
  "$data/rss" -n "$mem_lines" -- "$sc" pipe -i json 'status >= 500' || status=1
fi

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ ${GO_BENCH:-0} == 1 ]]; then
  echo
  go test -run '^$' -bench 'Pipe' -benchtime 20x ./lua/
  go test -run '^$' -bench 'Convert' ./lua/
  go test -run '^$' -bench . ./connectors/codec/
  go test -run '^$' -bench 'CLI' -benchtime 200x ./cmd/streamctl/
fi
exit $status
