#!/usr/bin/env bash
# Times `streamctl pipe` against jq and gawk on 1M NDJSON lines, in one run.
# Usage: scripts/bench/pipe.sh [LINES]   (default 1000000)
# Data goes to scripts/bench/data/ (git-ignored); the binary to data/streamctl.
set -euo pipefail

cd "$(dirname "$0")/../.."
lines=${1:-1000000}
data=scripts/bench/data
mkdir -p "$data"
in=$data/access.ndjson
if [[ ! -s $in || $(wc -l < "$in") -ne $lines ]]; then
  echo "generating $lines lines into $in" >&2
  go run ./scripts/bench/gen -n "$lines" > "$in"
fi
go build -o "$data/streamctl" ./cmd/streamctl
sc=$data/streamctl

have() { command -v "$1" > /dev/null 2>&1; }
for tool in jq gawk; do
  if ! have "$tool"; then
    echo "note: $tool is not installed; its rows are skipped (apt-get install $tool)" >&2
  fi
done

# run NAME CMD...: runs CMD < $in > $data/NAME.out, records wall and CPU seconds.
declare -A wall cpu
run() {
  local name=$1; shift
  local t
  t=$( { /usr/bin/time -f '%e %U %S' "$@" < "$in" > "$data/$name.out"; } 2>&1 | tail -1)
  read -r w u s <<< "$t"
  wall[$name]=$w
  cpu[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

# same A B: the outputs of A and B hold the same lines (sorted, JSON spacing removed).
same() {
  if cmp -s <(tr -d ' ' < "$data/$1.out" | sort) <(tr -d ' ' < "$data/$2.out" | sort); then
    echo "same"
  else
    echo "DIFFERENT"
  fi
}

row() { # row LABEL NAME BASE
  local r="-" c="-"
  if [[ -n ${wall[$3]:-} && -n ${wall[$2]:-} ]]; then
    r=$(awk -v a="${wall[$3]}" -v b="${wall[$2]}" 'BEGIN { printf "%.1fx", a / b }')
    c=$(awk -v a="${cpu[$3]}" -v b="${cpu[$2]}" 'BEGIN { printf "%.1fx", a / b }')
  fi
  printf '| %-58s | %6s | %6s | %8s | %8s | %9s |\n' "$1" "${wall[$2]}" "${cpu[$2]}" "$r" "$c" "$(wc -l < "$data/$2.out")"
}

# 1. Filter.
run sc_filter "$sc" pipe -i json 'status >= 500'
run sc_filter_w2 "$sc" pipe -w 2 -i json 'status >= 500'
if have jq; then run jq_filter jq -c 'select(.status >= 500)'; fi
if have gawk; then run gawk_filter gawk -F'"status":' '{ split($2, a, ","); if (a[1] + 0 >= 500) print }'; fi
# 2. Reshape.
run sc_reshape "$sc" pipe -i json '{user = user, kb = math.floor(bytes / 1024)}'
if have jq; then run jq_reshape jq -c '{user: .user, kb: (.bytes / 1024 | floor)}'; fi
# 3. An expression using _.
run sc_record "$sc" pipe -i json '_.status >= 500 and _.user ~= "u1"'
if have jq; then run jq_record jq -c 'select(.status >= 500 and .user != "u1")'; fi

echo
echo "checks:"
have jq && echo "  filter: streamctl vs jq: $(same sc_filter jq_filter)"
have gawk && echo "  filter: streamctl vs gawk: $(same sc_filter gawk_filter)"
echo "  filter: -w 2 vs -w 1 (exact): $(cmp -s "$data/sc_filter.out" "$data/sc_filter_w2.out" && echo same || echo DIFFERENT)"
have jq && echo "  reshape: streamctl vs jq: $(same sc_reshape jq_reshape)"
have jq && echo "  record: streamctl vs jq: $(same sc_record jq_record)"
echo
base=jq_filter; have jq || base=sc_filter
printf '| %-58s | %6s | %6s | %8s | %8s | %9s |\n' "command ($lines lines, $(du -m "$in" | cut -f1) MB)" "wall s" "cpu s" "vs jq" "cpu vs jq" "lines out"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "--------" "--------" "----------" "----------" "-----------"
row "streamctl pipe -i json 'status >= 500'" sc_filter jq_filter
row "streamctl pipe -w 2 -i json 'status >= 500'" sc_filter_w2 jq_filter
have jq && row "jq -c 'select(.status >= 500)'" jq_filter jq_filter
have gawk && row "gawk -F'\"status\":' '{...a[1] + 0 >= 500...}'" gawk_filter jq_filter
row "streamctl pipe -i json '{user = user, kb = ...}'" sc_reshape jq_reshape
have jq && row "jq -c '{user: .user, kb: (.bytes / 1024 | floor)}'" jq_reshape jq_reshape
row "streamctl pipe -i json '_.status >= 500 and _.user ~= \"u1\"'" sc_record jq_record
have jq && row "jq -c 'select(.status >= 500 and .user != \"u1\")'" jq_record jq_record
exit 0
