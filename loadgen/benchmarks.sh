#!/usr/bin/env bash
# Runs the load generator measurements quoted in docs/benchmarks.md and writes one JSON summary
# per run into OUT (default: xin-reports/benchmarks-TIME). Every run starts its own target
# process (switch or relay) on a free loopback port and stops it; runs are interleaved so that
# the relay and the switch see the same machine.
#
#   loadgen/benchmarks.sh [OUT] [REPS]
#
# Phases (PHASES, default "ramp half cpu idle storm"; ramp, half and cpu take about 15 minutes with
# REPS=2 and CPU_REPS=1, idle and storm about 5 more):
#   ramp  relay, acknowledging relay (--relay-acks: the switch's protocol without its storage), switch
#         fsync never, switch fsync batch, interleaved, REPS times each: the highest
#         rate whose p99 send->deliver stays within MAX_P99_MS (default 50) with 97% delivered; a
#         step that breaks is run once more before the ramp stops (a stall of a shared machine).
#   half  chat at half of each fsync policy's median maximum, REPS times: p50/p99/p99.9; and both
#         relays at the same rate as the fsync never run, the reference for what the machine, the
#         load generator and the protocol alone add to the tail.
#   cpu   chat at fixed rates (CPU_RATES, default "1000 2000 4000") against the relay and the
#         switch (both fsync policies), CPU_REPS times: server and load generator CPU time per
#         message, the figure that holds on a machine shared with other work.
#   idle  1,000 idle sessions at the default heartbeat for 10 s: the switch's fixed CPU burn; then
#         15,000 sessions heartbeating every 5 s per fsync policy: memory per session.
#   storm 15,000 sessions dropped and reconnected at once, with and without jitter.
# Every run warms up first (WARMUP_S, default 10 s) so that the JIT has compiled the hot path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/xin-reports/benchmarks-$(date -u +%Y%m%d-%H%M%S)}"
reps="${2:-${REPS:-2}}"
mkdir -p "$out"
xin="${XIN:-$here/xin}"
users=1000
warmup="${WARMUP_S:-10}"
ramp=(--users "$users" --rate "${RAMP_FROM:-600}" --step-factor 1.3 --duration 4 --warmup 1 --drain 5
      --ramp-warmup $((warmup * 2)) --step-retries 1 --max-p99-ms "${MAX_P99_MS:-50}" --max-steps "${MAX_STEPS:-24}" --no-report)

run() { # name args...
  local name="$1"; shift
  echo "== $name: $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/runs.log"
  "$xin" loadgen "$@" --json "$out/$name.json" > "$out/$name.txt" 2>&1 || echo "   exit $?" | tee -a "$out/runs.log"
  grep -E '^(step|max_sustainable_rate|achieved_rate|loadgen_cpu_us_per_message|deliver_latency|ack_latency|server_cpu_us_per_message|server_idle_cpu_percent_of_core|server_rss_per_session_bytes|server_heap_per_session_bytes|recovery_ms|recovery_synced_ms|lost|duplicates) ' \
    "$out/$name.txt" | sed 's/^/   /' | tee -a "$out/runs.log" || true
}

value() { # file key -> first numeric value of "key" in a JSON summary
  grep -o "\"$2\" : [0-9.]*" "$1" | head -n 1 | sed 's/.*: //'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

phases="${PHASES:-ramp half cpu idle storm}"
has() { [[ " $phases " == *" $1 "* ]]; }


has ramp && for rep in $(seq 1 "$reps"); do
  run "ramp-relay-$rep" ramp --start relay "${ramp[@]}"
  run "ramp-relayacks-$rep" ramp --start relay --relay-acks "${ramp[@]}"
  run "ramp-never-$rep" ramp --start switch --fsync never "${ramp[@]}"
  run "ramp-batch-$rep" ramp --start switch --fsync batch "${ramp[@]}"
done

has ramp && for target in relay relayacks never batch; do
  for rep in $(seq 1 "$reps"); do value "$out/ramp-$target-$rep.json" max_sustainable_rate; done | median \
    > "$out/max-$target.txt"
  echo "median max sustainable rate, $target: $(cat "$out/max-$target.txt")" | tee -a "$out/runs.log"
done

has half && for rep in $(seq 1 "$reps"); do
  for fsync in never batch; do
    half=$(awk '{printf "%d", $1 / 2}' "$out/max-$fsync.txt")
    [ "$half" -gt 0 ] || half=500
    run "half-$fsync-$rep" chat --start switch --fsync "$fsync" --users "$users" --rate "$half" --duration 20 \
      --warmup "$warmup" --no-report
  done
  run "half-relay-$rep" chat --start relay --users "$users" --rate "$(awk '{printf "%d", $1 / 2}' "$out/max-never.txt")" \
    --duration 20 --warmup "$warmup" --no-report
  run "half-relayacks-$rep" chat --start relay --relay-acks --users "$users" \
    --rate "$(awk '{printf "%d", $1 / 2}' "$out/max-never.txt")" --duration 20 --warmup "$warmup" --no-report
done

has cpu && for rep in $(seq 1 "${CPU_REPS:-1}"); do
  for rate in ${CPU_RATES:-1000 2000 4000}; do
    run "cpu-relay-$rate-$rep" chat --start relay --users "$users" --rate "$rate" --duration 10 --warmup "$warmup" \
      --no-report
    for fsync in never batch; do
      run "cpu-$fsync-$rate-$rep" chat --start switch --fsync "$fsync" --users "$users" --rate "$rate" --duration 10 \
        --warmup "$warmup" --no-report
    done
  done
done

has idle && run "idle-burn" idle --start switch --users "$users" --duration 10 --no-report  # fixed CPU burn
for fsync in never batch; do
  has idle && run "idle-$fsync" idle --start switch --fsync "$fsync" --users 15000 --duration 10 \
    --heartbeat-interval-ms 5000 --no-report
  has storm || continue
  run "storm-$fsync-0" storm --start switch --fsync "$fsync" --users 15000 --jitter-ms 0 --no-report
  run "storm-$fsync-2000" storm --start switch --fsync "$fsync" --users 15000 --jitter-ms 2000 --no-report
done
echo "results in $out" | tee -a "$out/runs.log"
