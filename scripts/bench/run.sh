#!/usr/bin/env bash
# Every comparison of docs/performance.md in one run: the one-liners
# against jq, gojq, Miller, gawk, lua5.4 and luajit; start-up next to jq's;
# a Kafka pipe against a plain franz-go program on the same dev-broker;
# cache puts and gets against plain goleveldb programs; RSS over a 10M-line
# stream. It ends with the targets of issue 17, each PASS or MISS.
#
# Usage: scripts/bench/run.sh
#   LINES=N      one-liner input lines (default 1000000)
#   REPS=N       runs per command, the best kept (default 3); start-up: 50
#   KAFKA_N=N    records through the Kafka pipe (default 200000)
#   CACHE_N=N    cache puts and gets (default 200000)
#   WINDOW_N=N   events of the window count (default 1000000, 10k users)
#   MEM_LINES=N  lines streamed for the RSS check (default 10000000; 0 skips)
#   ONLY=LIST    comma-separated sections to run: oneliners, startup,
#                kafka, cache, window, rss (default all)
#
# Every tool's output is checked against streamctl's for the same task
# (scripts/bench/samejson: "same" is byte-identical, "same values" the same
# JSON values with keys in another order or other spacing, as gojq and
# Miller write them); the Kafka outputs against the input (count and an
# order-independent digest of keys and values); cache gets check every
# value they read. The script exits 1 when a check fails.
#
# Times are wall and CPU (user + sys) seconds of whole processes, the best
# of REPS runs each; commands of one comparison run interleaved, so a
# disturbance hits both sides. Ratios read "how many times faster than"
# (jq/x: jq's time over the row's) or "as a fraction of" (x: the baseline's
# time over streamctl's). Data, outputs and binaries go to
# scripts/bench/data/ (git-ignored). Missing tools are installed with
# apt-get when running as root, else their rows are skipped.
set -euo pipefail

cd "$(dirname "$0")/../.."
lines=${LINES:-1000000}
reps=${REPS:-3}
kafka_n=${KAFKA_N:-200000}
cache_n=${CACHE_N:-200000}
window_n=${WINDOW_N:-1000000}
mem_lines=${MEM_LINES:-10000000}
only=${ONLY:-oneliners,startup,kafka,cache,window,rss}
data=scripts/bench/data
mkdir -p "$data"
in=$data/access.ndjson
lua=scripts/bench/lua

section() { [[ ",$only," == *",$1,"* ]]; }
have() { command -v "$1" > /dev/null 2>&1; }

declare -A pkg=([jq]=jq [gojq]=gojq [mlr]=miller [gawk]=gawk [lua5.4]=lua5.4 [luajit]=luajit)
missing=()
for tool in "${!pkg[@]}"; do have "$tool" || missing+=("${pkg[$tool]}"); done
if ((${#missing[@]})) && [[ $EUID -eq 0 ]] && have apt-get; then
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get install -y -q "${missing[@]}" > /dev/null ||
    { apt-get update -q > /dev/null && apt-get install -y -q "${missing[@]}" > /dev/null; } || true
fi
for tool in "${!pkg[@]}"; do
  have "$tool" || echo "note: $tool is not installed; its rows are skipped (apt-get install ${pkg[$tool]})" >&2
done

if [[ ! -s $in || $(wc -l < "$in") -ne $lines ]]; then
  echo "generating $lines lines into $in" >&2
  go run ./scripts/bench/gen -n "$lines" > "$in"
fi
for cmd in timeit rss samejson kafkaraw kafkatool cacheraw nop; do
  go build -o "$data/$cmd" "./scripts/bench/$cmd"
done
go build -o "$data/streamctl" ./cmd/streamctl
sc=$data/streamctl

echo "## Run"
echo
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/^Mem/ {print $2}') GB, $(go version | cut -d' ' -f3-4)"
echo "- tools: $(jq --version 2>/dev/null || echo 'no jq'), gojq $(gojq --version 2>/dev/null | cut -d' ' -f2 || echo '-'), Miller $(mlr --version 2>/dev/null | cut -d' ' -f2 || echo '-'), $(gawk --version 2>/dev/null | head -1 | cut -d, -f1 || echo 'no gawk'), $(lua5.4 -v 2>/dev/null | cut -d' ' -f1-2 || echo 'no lua5.4'), $(luajit -v 2>/dev/null | cut -d' ' -f1-2 || echo 'no luajit')"
echo "- started $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
declare -A wall cpu bw bc

# keep NAME WALL CPU: keeps the least wall and CPU seconds seen for NAME in
# bw and bc (runs timed one at a time, interleaved by the caller).
keep() {
  if [[ -z ${bw[$1]:-} ]] || awk -v a="$2" -v b="${bw[$1]}" 'BEGIN { exit !(a < b) }'; then bw[$1]=$2; fi
  if [[ -z ${bc[$1]:-} ]] || awk -v a="$3" -v b="${bc[$1]}" 'BEGIN { exit !(a < b) }'; then bc[$1]=$3; fi
}

# run NAME CMD...: runs CMD REPS times on $in into $data/NAME.out and keeps
# the best wall and CPU seconds.
run() {
  local name=$1; shift
  local t w c
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

# same NAME REF: compares the outputs of NAME and REF.
same() {
  local v
  if [[ $1 == "$2" ]]; then
    echo "reference"
    return
  fi
  if v=$("$data/samejson" "$data/$1.out" "$data/$2.out"); then
    echo "$v"
  else
    echo "$v"
    status=1
  fi
}

# row LABEL NAME REF: a one-liner table row.
row() {
  local label=$1 name=$2 ref=$3
  [[ -n ${wall[$name]:-} ]] || return 0
  printf '| %s | %.2f | %.2f | %s | %s | %s | %s | %d | %s |\n' "$label" \
    "${wall[$name]}" "${cpu[$name]}" "$(ratio "$base" "$name" wall)" "$(ratio "$base" "$name" cpu)" \
    "$(ratio "$jit" "$name" wall)" "$(ratio "$jit" "$name" cpu)" "$(wc -l < "$data/$name.out")" "$(same "$name" "$ref")"
}
header() {
  echo
  echo "### $1"
  echo
  echo "| command ($lines lines, $(du -m "$in" | cut -f1) MB) | wall s | cpu s | jq/x | jq/x cpu | jit/x | jit/x cpu | lines | output |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
}

if section oneliners; then
  # Each task's commands, interleaved rep by rep is not possible with
  # timeit's REPS runs of one command; the tasks run one after another.
  filter='status >= 500'
  reshape='{user = user, kb = math.floor(bytes / 1024)}'
  record='_.status >= 500 and _.user ~= "u1"'
  modify='if _.path == "/login" then _.bytes = _.bytes + 1; return _ end'
  hash='local h = 0 for i = 1, #path do h = (h * 31 + path:byte(i)) % 65521 end return h % 2 == 0'

  run sc_filter "$sc" pipe -i json "$filter"
  run sc_filter_w2 "$sc" pipe -w 2 -i json "$filter"
  have jq && run jq_filter jq -c 'select(.status >= 500)'
  have gojq && run gojq_filter gojq -c 'select(.status >= 500)'
  have mlr && run mlr_filter mlr --ijsonl --ojsonl filter '$status >= 500'
  have gawk && run gawk_filter gawk -F'"status":' '{ split($2, a, ","); if (a[1] + 0 >= 500) print }'
  have lua5.4 && run lua_filter lua5.4 "$lua/filter.lua"
  have luajit && run jit_filter luajit "$lua/filter.lua"

  run sc_reshape "$sc" pipe -i json "$reshape"
  have jq && run jq_reshape jq -c '{user: .user, kb: (.bytes / 1024 | floor)}'
  have gojq && run gojq_reshape gojq -c '{user: .user, kb: (.bytes / 1024 | floor)}'
  have mlr && run mlr_reshape mlr --ijsonl --ojsonl put '$kb = $bytes // 1024' then cut -o -f user,kb
  have gawk && run gawk_reshape gawk '{ match($0, /"user":"[^"]*"/); u = substr($0, RSTART + 8, RLENGTH - 9); match($0, /"bytes":[0-9]+/); printf "{\"user\":\"%s\",\"kb\":%d}\n", u, int(substr($0, RSTART + 8, RLENGTH - 8) / 1024) }'
  have lua5.4 && run lua_reshape lua5.4 "$lua/reshape.lua"
  have luajit && run jit_reshape luajit "$lua/reshape.lua"

  run sc_modify "$sc" pipe -i json "$modify"
  have jq && run jq_modify jq -c 'select(.path == "/login") | .bytes += 1'
  have gojq && run gojq_modify gojq -c 'select(.path == "/login") | .bytes += 1'
  have mlr && run mlr_modify mlr --ijsonl --ojsonl filter '$path == "/login"' then put '$bytes = $bytes + 1'
  have gawk && run gawk_modify gawk '/"path":"\/login"/ { match($0, /"bytes":[0-9]+/); b = substr($0, RSTART + 8, RLENGTH - 8) + 1; print substr($0, 1, RSTART + 7) b substr($0, RSTART + RLENGTH) }'
  have lua5.4 && run lua_modify lua5.4 "$lua/modify.lua"
  have luajit && run jit_modify luajit "$lua/modify.lua"

  run sc_record "$sc" pipe -i json "$record"
  have jq && run jq_record jq -c 'select(.status >= 500 and .user != "u1")'
  have gojq && run gojq_record gojq -c 'select(.status >= 500 and .user != "u1")'
  have lua5.4 && run lua_record lua5.4 "$lua/record.lua"
  have luajit && run jit_record luajit "$lua/record.lua"

  run sc_hash "$sc" pipe -i json "$hash"
  run sc_hash_w2 "$sc" pipe -w 2 -i json "$hash"
  have jq && run jq_hash jq -c 'select((.path | explode | reduce .[] as $c (0; (. * 31 + $c) % 65521)) % 2 == 0)'
  have luajit && run jit_hash luajit "$lua/hash.lua"

  base=jq_filter jit=jit_filter
  header "Filter: status >= 500"
  row "\`streamctl pipe -i json '$filter'\`" sc_filter sc_filter
  row "\`streamctl pipe -w 2 -i json '$filter'\`" sc_filter_w2 sc_filter
  row "\`jq -c 'select(.status >= 500)'\`" jq_filter sc_filter
  row "\`gojq -c 'select(.status >= 500)'\`" gojq_filter sc_filter
  row "\`mlr --ijsonl --ojsonl filter '\$status >= 500'\`" mlr_filter sc_filter
  row "\`gawk -F'\"status\":' ...\`" gawk_filter sc_filter
  row "\`lua5.4 scripts/bench/lua/filter.lua\` (string patterns)" lua_filter sc_filter
  row "\`luajit scripts/bench/lua/filter.lua\` (string patterns)" jit_filter sc_filter
  base=jq_reshape jit=jit_reshape
  header "Reshape: $reshape"
  row "\`streamctl pipe -i json '$reshape'\`" sc_reshape sc_reshape
  row "\`jq -c '{user: .user, kb: (.bytes / 1024 | floor)}'\`" jq_reshape sc_reshape
  row "\`gojq -c '{user: .user, kb: (.bytes / 1024 | floor)}'\`" gojq_reshape sc_reshape
  row "\`mlr --ijsonl --ojsonl put '\$kb = \$bytes // 1024' then cut -o -f user,kb\`" mlr_reshape sc_reshape
  row "\`gawk '{ match(...); printf ... }'\`" gawk_reshape sc_reshape
  row "\`lua5.4 scripts/bench/lua/reshape.lua\`" lua_reshape sc_reshape
  row "\`luajit scripts/bench/lua/reshape.lua\`" jit_reshape sc_reshape
  base=jq_modify jit=jit_modify
  header "Whole record modified and returned: $modify"
  row "\`streamctl pipe -i json '$modify'\`" sc_modify sc_modify
  row "\`jq -c 'select(.path == \"/login\") | .bytes += 1'\`" jq_modify sc_modify
  row "\`gojq -c 'select(.path == \"/login\") | .bytes += 1'\`" gojq_modify sc_modify
  row "\`mlr --ijsonl --ojsonl filter '\$path == \"/login\"' then put '\$bytes = \$bytes + 1'\`" mlr_modify sc_modify
  row "\`gawk '/\"path\":\"\\/login\"/ { ... }'\`" gawk_modify sc_modify
  row "\`lua5.4 scripts/bench/lua/modify.lua\`" lua_modify sc_modify
  row "\`luajit scripts/bench/lua/modify.lua\`" jit_modify sc_modify
  base=jq_record jit=jit_record
  header "Whole record read: $record"
  row "\`streamctl pipe -i json '$record'\`" sc_record sc_record
  row "\`jq -c 'select(.status >= 500 and .user != \"u1\")'\`" jq_record sc_record
  row "\`gojq -c 'select(.status >= 500 and .user != \"u1\")'\`" gojq_record sc_record
  row "\`lua5.4 scripts/bench/lua/record.lua\`" lua_record sc_record
  row "\`luajit scripts/bench/lua/record.lua\`" jit_record sc_record
  base=jq_hash jit=jit_hash
  header "CPU-bound: a hash of path per record (about 15 loop iterations)"
  row "\`streamctl pipe -i json '$hash'\`" sc_hash sc_hash
  row "\`streamctl pipe -w 2 -i json (same)\`" sc_hash_w2 sc_hash
  row "\`jq -c 'select((.path | explode | reduce ...) % 2 == 0)'\`" jq_hash sc_hash
  row "\`luajit scripts/bench/lua/hash.lua\`" jit_hash sc_hash
  echo
  echo "-w 2 against -w 1 (hash, wall): $(ratio sc_hash sc_hash_w2 wall)"
fi

if section startup; then
  echo
  echo "### Start-up: \`streamctl pipe true < /dev/null\`, side by side with jq"
  echo
  echo "Each round runs every command once; 50 rounds."
  echo
  echo "| command | wall best | wall median | CPU best | page faults |"
  echo "|---|---:|---:|---:|---:|"
  declare -A sw sm sc_ sf
  starters=("sc|$sc pipe true" "jq|jq -n empty" "nop|$data/nop" "luajit|luajit -e ''")
  for i in $(seq 50); do
    for s in "${starters[@]}"; do
      name=${s%%|*} cmd=${s#*|}
      have "${cmd%% *}" || [[ -x ${cmd%% *} ]] || continue
      read -r w _ c _ f _ <<< "$(eval "$data/timeit -n 1 -- $cmd")"
      echo "$w $c $f" >> "$data/startup.$name.$$"
    done
  done
  for s in "${starters[@]}"; do
    name=${s%%|*} cmd=${s#*|}
    f=$data/startup.$name.$$
    [[ -s $f ]] || continue
    read -r best med cbest faults <<< "$(sort -n "$f" | awk '{ w[NR] = $1; if (NR == 1 || $2 < c) c = $2; fl[NR] = $3 } END { printf "%s %s %s %s", w[1], w[int((NR + 1) / 2)], c, fl[int((NR + 1) / 2)] }')"
    sw[$name]=$best sm[$name]=$med
    awk -v l="\`$cmd\`" -v w="$best" -v m="$med" -v c="$cbest" -v f="$faults" \
      'BEGIN { printf "| %s | %.1f ms | %.1f ms | %.1f ms | %d |\n", l, w * 1000, m * 1000, c * 1000, f }' | sed "s|$data/||"
    rm -f "$f"
  done
fi

if section kafka; then
  echo
  echo "### Kafka: consume, a Lua handler using meta.key, produce ($kafka_n records)"
  echo
  broker_log=$data/broker.log
  "$sc" dev-broker --addr 127.0.0.1:0 > "$broker_log" 2>&1 &
  broker=$!
  trap 'kill $broker 2> /dev/null || true' EXIT
  for _ in $(seq 100); do grep -q listening "$broker_log" && break; sleep 0.05; done
  addr=$(awk '/listening/ { print $4 }' "$broker_log")
  "$data/kafkatool" load -brokers "$addr" -topic in -partitions 3 -n "$kafka_n"
  want=$("$data/kafkatool" verify -brokers "$addr" -topic in -n "$kafka_n")
  kcheck=same
  for r in $(seq "$reps"); do
    for side in sc raw; do
      "$data/kafkatool" create -brokers "$addr" -topic "out-$side-$r" -partitions 3
      if [[ $side == sc ]]; then
        t=$("$data/timeit" -n 1 -- "$sc" run --brokers "$addr" scripts/bench/kafka.lua \
          --set n="$kafka_n" --set input=in --set output="out-$side-$r" --set group="$side-$r")
      else
        t=$("$data/timeit" -n 1 -- "$data/kafkaraw" -brokers "$addr" -in in -out "out-$side-$r" -group "$side-$r" -n "$kafka_n")
      fi
      read -r w _ c _ <<< "$t"
      keep "kafka_$side" "$w" "$c"
      got=$("$data/kafkatool" verify -brokers "$addr" -topic "out-$side-$r" -n "$kafka_n")
      if [[ $got != "$want" ]]; then
        kcheck="DIFFERENT (out-$side-$r: $got, in: $want)"
        status=1
      fi
    done
  done
  kill $broker 2> /dev/null || true
  wait $broker 2> /dev/null || true
  trap - EXIT
  kratio=$(awk -v a="${bw[kafka_raw]}" -v b="${bw[kafka_sc]}" 'BEGIN { printf "%.2fx", a / b }')
  echo "| program (whole process, group join included; 3 partitions) | wall s | cpu s | records/s | x |"
  echo "|---|---:|---:|---:|---:|"
  awk -v w="${bw[kafka_sc]}" -v c="${bc[kafka_sc]}" -v n="$kafka_n" -v x="$kratio" 'BEGIN { printf "| `streamctl run scripts/bench/kafka.lua` | %.2f | %.2f | %.0f | %s |\n", w, c, n / w, x }'
  awk -v w="${bw[kafka_raw]}" -v c="${bc[kafka_raw]}" -v n="$kafka_n" 'BEGIN { printf "| `scripts/bench/kafkaraw` (plain franz-go) | %.2f | %.2f | %.0f | 1.00x |\n", w, c, n / w }'
  echo
  echo "outputs: $kcheck (every output topic holds the input's keys and values)"
fi

if section cache; then
  echo
  echo "### Cache: $cache_n puts, then $cache_n gets of {user = \"u12345\", n = i, tags = {\"a\", \"b\"}}"
  echo
  cdir=$data/cache
  for r in $(seq "$reps"); do
    rm -rf "$cdir"
    mkdir -p "$cdir"
    for step in put get; do
      for side in raw_json raw_floor sc_handler sc_top; do
        case $side in
          raw_json) cmd=("$data/cacheraw" -dir "$cdir/raw_json" -mode "$step" -n "$cache_n") ;;
          raw_floor) cmd=("$data/cacheraw" -dir "$cdir/raw_floor" -mode "$step" -n "$cache_n" -json=false) ;;
          sc_*) cmd=("$sc" run --state-dir "$cdir/$side" scripts/bench/cache.lua --set n="$cache_n" --set mode="$step" --set where="${side#sc_}") ;;
        esac
        read -r w _ c _ <<< "$("$data/timeit" -n 1 -- "${cmd[@]}")"
        keep "${step}_$side" "$w" "$c"
      done
    done
  done
  cx() { awk -v a="${bw[$1]}" -v b="${bw[$2]}" 'BEGIN { printf "%.2fx", a / b }'; }
  echo "| program (whole process) | puts: wall s | cpu s | x raw | x floor | gets: wall s | cpu s | x raw | x floor |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for side in sc_handler sc_top raw_json raw_floor; do
    case $side in
      sc_handler) label='`streamctl run scripts/bench/cache.lua` in a handler (writes deferred, committed every second and at the end)' ;;
      sc_top) label='`streamctl run scripts/bench/cache.lua` at the top level (each write durable on return)' ;;
      raw_json) label='`scripts/bench/cacheraw` (raw): a struct, encoding/json, one db.Put / db.Get and json.Unmarshal' ;;
      raw_floor) label='`scripts/bench/cacheraw -json=false` (floor): formatted bytes, db.Put / db.Get only' ;;
    esac
    printf '| %s | %.2f | %.2f | %s | %s | %.2f | %.2f | %s | %s |\n' "$label" \
      "${bw[put_$side]}" "${bc[put_$side]}" "$(cx put_raw_json "put_$side")" "$(cx put_raw_floor "put_$side")" \
      "${bw[get_$side]}" "${bc[get_$side]}" "$(cx get_raw_json "get_$side")" "$(cx get_raw_floor "get_$side")"
  done
  echo
  echo "values: every get checks the value it read (the run fails otherwise)"
fi

if section window; then
  echo
  echo "### Windows: keyed tumbling count, $window_n events of 10k users, 10 s windows"
  echo
  events=$data/events.ndjson
  if [[ ! -s $events || $(wc -l < "$events") -ne $window_n ]]; then
    awk -v n="$window_n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"user\":\"user-%d\",\"t\":%.4f}\n", i % 10000, 1700000000 + i * 0.0001 }' > "$events"
  fi
  gawk_window='{ c[$4 " " int(substr($7, 2) / 10) * 10]++ } END { for (k in c) print k, c[k] }'
  for r in $(seq "$reps"); do
    for side in sc gawk; do
      if [[ $side == sc ]]; then
        rm -rf "$data/window-state"
        cmd=("$sc" run --state-dir "$data/window-state" scripts/bench/window.lua --set path="$events")
      elif have gawk; then
        cmd=(gawk -F'"' "$gawk_window" "$events")
      else
        continue
      fi
      read -r w _ c _ <<< "$("$data/timeit" -n 1 -out "$data/window_$side.out" -- "${cmd[@]}")"
      keep "window_$side" "$w" "$c"
    done
  done
  wcheck=reference
  if have gawk; then
    if cmp -s <(sort "$data/window_sc.out") <(sort "$data/window_gawk.out"); then wcheck=same; else wcheck=DIFFERENT; status=1; fi
  fi
  echo "| program (whole process) | wall s | cpu s | events/s |"
  echo "|---|---:|---:|---:|"
  awk -v w="${bw[window_sc]}" -v c="${bc[window_sc]}" -v n="$window_n" 'BEGIN { printf "| `streamctl run scripts/bench/window.lua` (windows and file position committed every second) | %.2f | %.2f | %.0f |\n", w, c, n / w }'
  if have gawk; then
    awk -v w="${bw[window_gawk]}" -v c="${bc[window_gawk]}" -v n="$window_n" 'BEGIN { printf "| `gawk` (in-memory count per user and window, printed at the end) | %.2f | %.2f | %.0f |\n", w, c, n / w }'
  fi
  echo
  echo "outputs: $wcheck (the windows' counts, sorted)"
fi

if section rss && ((mem_lines > 0)); then
  echo
  echo "### RSS: $mem_lines generated lines through \`streamctl pipe -i json 'status >= 500'\`"
  echo
  echo '```'
  "$data/rss" -n "$mem_lines" -- "$sc" pipe -i json 'status >= 500' || status=1
  echo '```'
fi

echo
echo "### Against the targets (issues 15 and 17)"
echo
echo "| work | target | this run | |"
echo "|---|---|---|---|"
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=") ? v + 1e-9 >= t : v <= t + 1e-9; print ok ? "PASS" : "MISS" }'; }
num() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
if section oneliners && [[ -n ${wall[jq_modify]:-} ]]; then
  m=$(num "${wall[jq_modify]}" "${wall[sc_modify]}")
  echo "| whole record modified and returned | >= 2.5x jq | ${m}x jq | $(verdict "$m" ">=" 2.5) |"
fi
if section kafka; then
  k=$(num "${bw[kafka_raw]}" "${bw[kafka_sc]}")
  echo "| Kafka consume, handler with meta.key, produce | >= 0.6x plain franz-go | ${k}x | $(verdict "$k" ">=" 0.6) |"
fi
if section cache; then
  for where in handler top; do
    p=$(num "${bw[put_raw_json]}" "${bw[put_sc_$where]}")
    g=$(num "${bw[get_raw_json]}" "${bw[get_sc_$where]}")
    pf=$(num "${bw[put_raw_floor]}" "${bw[put_sc_$where]}")
    gf=$(num "${bw[get_raw_floor]}" "${bw[get_sc_$where]}")
    echo "| cache puts / gets, $where | >= 0.7x / >= 0.6x plain goleveldb | ${p}x / ${g}x (floor: ${pf}x / ${gf}x) | $(verdict "$p" ">=" 0.7) / $(verdict "$g" ">=" 0.6) |"
  done
fi
if section window; then
  r=$(awk -v w="${bw[window_sc]}" -v n="$window_n" 'BEGIN { printf "%.0f", n / w }')
  echo "| keyed tumbling count, 10k keys, default durability (issue 15) | >= 500000 events/s | $r events/s | $(verdict "$r" ">=" 500000) |"
fi
if section oneliners && [[ -n ${wall[jq_filter]:-} && -n ${wall[jit_filter]:-} ]]; then
  f=$(num "${wall[jq_filter]}" "${wall[sc_filter]}")
  l=$(num "${wall[sc_filter]}" "${wall[jit_filter]}")
  echo "| filter | >= 7x jq, <= 0.8x LuaJIT's time | ${f}x jq, ${l}x LuaJIT's time | $(verdict "$f" ">=" 7) / $(verdict "$l" "<=" 0.8) |"
fi
if section oneliners && [[ -n ${wall[jq_reshape]:-} ]]; then
  s=$(num "${wall[jq_reshape]}" "${wall[sc_reshape]}")
  echo "| reshape | >= 4x jq | ${s}x jq | $(verdict "$s" ">=" 4) |"
fi
if section startup && [[ -n ${sw[jq]:-} ]]; then
  ms=$(awk -v w="${sw[sc]}" 'BEGIN { printf "%.1f", w * 1000 }')
  j=$(num "${sw[sc]}" "${sw[jq]}")
  mm=$(awk -v w="${sm[sc]}" 'BEGIN { printf "%.1f", w * 1000 }')
  jm=$(num "${sm[sc]}" "${sm[jq]}")
  echo "| start-up \`pipe true < /dev/null\` | < 10 ms and <= 0.5x jq's | ${ms} ms, ${j}x jq's (median ${mm} ms, ${jm}x) | $(verdict "$ms" "<=" 9.999) / $(verdict "$j" "<=" 0.5) |"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
