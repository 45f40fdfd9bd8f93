#!/usr/bin/env bash
# How cost grows with the work (docs/performance.md, "How cost grows"):
#   - a cache at 100k, 1M and 10M keys: put, get and range rates, peak RSS,
#     disk (scripts/bench/growth/cache.lua);
#   - keyed tumbling windows over 10k and 1M distinct keys
#     (scripts/bench/growth/window.lua);
#   - the Kafka pipe of run.sh over topics of 3 and 12 partitions;
#   - a CPU-bound handler with workers = 1 and 2 (scripts/bench/growth/cpu.lua).
#
# Usage: scripts/bench/growth.sh
#   CACHE_SIZES="100000 1000000 10000000"  GET_SAMPLE=200000
#   WINDOW_EVENTS=2000000  WINDOW_KEYS="10000 1000000"
#   KAFKA_N=200000  CPU_N=300000  ONLY=cache,window,kafka,cpu
# Rates are per second of whole-process wall time; RSS is the peak resident
# set of the process (getrusage); disk is `du` of the state directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=${CACHE_SIZES:-"100000 1000000 10000000"}
sample=${GET_SAMPLE:-200000}
wevents=${WINDOW_EVENTS:-2000000}
wkeys=${WINDOW_KEYS:-"10000 1000000"}
kafka_n=${KAFKA_N:-200000}
cpu_n=${CPU_N:-300000}
only=${ONLY:-cache,window,kafka,cpu}
data=scripts/bench/data
mkdir -p "$data"
for cmd in timeit kafkaraw kafkatool; do go build -o "$data/$cmd" "./scripts/bench/$cmd"; done
go build -o "$data/streamctl" ./cmd/streamctl
sc=$data/streamctl
section() { [[ ",$only," == *",$1,"* ]]; }
# t CMD...: prints "wall rss_mb" of one run.
t() { "$data/timeit" -n 1 -- "$@" | awk '{ print $1, $6 }'; }
rate() { awk -v n="$1" -v w="$2" 'BEGIN { printf "%.0f", n / w }'; }

echo "machine: $(nproc) CPUs, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"

if section cache; then
  echo
  echo "### A cache at growing sizes (value {user=, n=, tags={\"a\",\"b\"}})"
  echo
  echo "| keys | fill (handler puts) /s | RSS MB | disk MB | get ($sample spread keys) /s | RSS MB | range (every entry) /s | RSS MB |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
  for n in $sizes; do
    dir=$data/growth-cache
    rm -rf "$dir"
    read -r fw fr <<< "$(t "$sc" run --state-dir "$dir" scripts/bench/growth/cache.lua --set n="$n" --set mode=fill)"
    disk=$(du -sm "$dir" | cut -f1)
    read -r gw gr <<< "$(t "$sc" run --state-dir "$dir" scripts/bench/growth/cache.lua --set n="$n" --set mode=get --set sample="$sample")"
    read -r rw rr <<< "$(t "$sc" run --state-dir "$dir" scripts/bench/growth/cache.lua --set n="$n" --set mode=range)"
    echo "| $n | $(rate "$n" "$fw") | $fr | $disk | $(rate "$sample" "$gw") | $gr | $(rate "$n" "$rw") | $rr |"
    rm -rf "$dir"
  done
fi

if section window; then
  echo
  echo "### Keyed tumbling windows ($wevents events, each window holding every key twice)"
  echo
  echo "| distinct keys | events/s | finals | RSS MB | disk MB |"
  echo "|---:|---:|---:|---:|---:|"
  for k in $wkeys; do
    dir=$data/growth-window
    rm -rf "$dir"
    out=$(mktemp)
    read -r w rss <<< "$("$data/timeit" -n 1 -out "$out" -- "$sc" run --state-dir "$dir" scripts/bench/growth/window.lua --set n="$wevents" --set keys="$k" | awk '{ print $1, $6 }')"
    echo "| $k | $(rate "$wevents" "$w") | $(cat "$out") | $rss | $(du -sm "$dir" | cut -f1) |"
    rm -rf "$dir" "$out"
  done
fi

if section kafka; then
  echo
  echo "### Kafka pipe over 3 and 12 partitions ($kafka_n records, scripts/bench/kafka.lua and kafkaraw)"
  echo
  log=$data/growth-broker.log
  "$sc" dev-broker --addr 127.0.0.1:0 > "$log" 2>&1 &
  broker=$!
  trap 'kill $broker 2> /dev/null || true' EXIT
  for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
  addr=$(awk '/listening/ { print $4 }' "$log")
  echo "| partitions | streamctl wall s | RSS MB | plain franz-go wall s | RSS MB | x |"
  echo "|---:|---:|---:|---:|---:|---:|"
  for p in 3 12; do
    "$data/kafkatool" load -brokers "$addr" -topic "in$p" -partitions "$p" -n "$kafka_n"
    want=$("$data/kafkatool" verify -brokers "$addr" -topic "in$p" -n "$kafka_n")
    for side in sc raw; do
      "$data/kafkatool" create -brokers "$addr" -topic "out$p-$side" -partitions "$p"
    done
    read -r sw sr <<< "$(t "$sc" run --brokers "$addr" scripts/bench/kafka.lua --set n="$kafka_n" --set input="in$p" --set output="out$p-sc" --set group="g$p-sc")"
    read -r rw rr <<< "$(t "$data/kafkaraw" -brokers "$addr" -in "in$p" -out "out$p-raw" -group "g$p-raw" -n "$kafka_n")"
    for side in sc raw; do
      got=$("$data/kafkatool" verify -brokers "$addr" -topic "out$p-$side" -n "$kafka_n")
      [[ $got == "$want" ]] || { echo "out$p-$side: $got, want $want" >&2; exit 1; }
    done
    echo "| $p | $sw | $sr | $rw | $rr | $(awk -v a="$rw" -v b="$sw" 'BEGIN { printf "%.2fx", a / b }') |"
  done
  kill $broker 2> /dev/null || true
  trap - EXIT
fi

if section cpu; then
  echo
  echo "### A CPU-bound handler, workers = 1 and 2 ($cpu_n records, keyed)"
  echo
  echo "| workers | wall s | records/s |"
  echo "|---:|---:|---:|"
  declare -A best
  for r in 1 2 3; do
    for w in 1 2; do
      read -r wall _ <<< "$(t "$sc" run scripts/bench/growth/cpu.lua --set n="$cpu_n" --set workers="$w")"
      if [[ -z ${best[$w]:-} ]] || awk -v a="$wall" -v b="${best[$w]}" 'BEGIN { exit !(a < b) }'; then best[$w]=$wall; fi
    done
  done
  for w in 1 2; do echo "| $w | ${best[$w]} | $(rate "$cpu_n" "${best[$w]}") |"; done
  echo
  echo "workers = 2 against 1: $(awk -v a="${best[1]}" -v b="${best[2]}" 'BEGIN { printf "%.2fx", a / b }') (best of 3, interleaved)"
fi
