#!/usr/bin/env bash
# Runs the load generator measurements quoted in docs/benchmarks.md and writes one JSON summary
# per run into OUT (default: xin-reports/benchmarks-TIME). Every run starts its own target
# process (switch or relay) on a free loopback port and stops it; runs are interleaved so that
# the relay and the switch see the same machine.
#
#   loadgen/benchmarks.sh [OUT] [REPS]
#
# Phases: ramp (relay, switch fsync never, switch fsync batch) x REPS; chat at half of each
# median maximum x REPS; idle with 15,000 sessions; storm of 15,000 sessions with and without
# jitter. Each run is bounded (about a minute at most).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/xin-reports/benchmarks-$(date -u +%Y%m%d-%H%M%S)}"
reps="${2:-3}"
mkdir -p "$out"
xin="${XIN:-$here/xin}"
users=1000
ramp=(--users "$users" --rate 1000 --step-factor 1.4 --duration 4 --warmup 1 --drain 5 --ramp-warmup 8
      --max-p99-ms "${MAX_P99_MS:-50}" --max-steps 14 --no-report)

run() { # name args...
  local name="$1"; shift
  echo "== $name: $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/runs.log"
  "$xin" loadgen "$@" --json "$out/$name.json" > "$out/$name.txt" 2>&1 || echo "   exit $?" | tee -a "$out/runs.log"
  grep -E '^(max_sustainable_rate|achieved_rate|deliver_latency|ack_latency|server_cpu_us_per_message|server_rss_per_session_bytes|server_heap_per_session_bytes|recovery_ms|recovery_synced_ms|lost|duplicates) ' \
    "$out/$name.txt" | sed 's/^/   /' | tee -a "$out/runs.log" || true
}

value() { # file key -> first numeric value of "key" in a JSON summary
  grep -o "\"$2\" : [0-9.]*" "$1" | head -n 1 | sed 's/.*: //'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

for rep in $(seq 1 "$reps"); do
  run "ramp-relay-$rep" ramp --start relay "${ramp[@]}"
  run "ramp-never-$rep" ramp --start switch --fsync never "${ramp[@]}"
  run "ramp-batch-$rep" ramp --start switch --fsync batch "${ramp[@]}"
done

for target in relay never batch; do
  for rep in $(seq 1 "$reps"); do value "$out/ramp-$target-$rep.json" max_sustainable_rate; done | median \
    > "$out/max-$target.txt"
  echo "median max sustainable rate, $target: $(cat "$out/max-$target.txt")" | tee -a "$out/runs.log"
done

for rep in $(seq 1 "$reps"); do
  for fsync in never batch; do
    half=$(awk '{printf "%d", $1 / 2}' "$out/max-$fsync.txt")
    [ "$half" -gt 0 ] || half=500
    run "half-$fsync-$rep" chat --start switch --fsync "$fsync" --users "$users" --rate "$half" --duration 20 \
      --warmup 10 --no-report
  done
done

for fsync in never batch; do
  run "idle-$fsync" idle --start switch --fsync "$fsync" --users 15000 --duration 10 --no-report
  run "storm-$fsync-0" storm --start switch --fsync "$fsync" --users 15000 --jitter-ms 0 --no-report
  run "storm-$fsync-2000" storm --start switch --fsync "$fsync" --users 15000 --jitter-ms 2000 --no-report
done
echo "results in $out" | tee -a "$out/runs.log"
