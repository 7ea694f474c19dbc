#!/usr/bin/env bash
# Runs the measurements behind the results table of docs/benchmarks.md and writes one summary per run
# into OUT (default: xin-reports/benchmarks-TIME), with the key lines and the load average before each
# run in OUT/runs.log. Every load generator run starts its own target process (switch or relay) on a
# free loopback port and stops it; runs are interleaved so that the targets see the same machine.
#
#   loadgen/benchmarks.sh [OUT] [REPS]
#
# Phases (PHASES, default "ramp half idle storm fanout memory"; "cpu", "jmh" and "million" on request):
#   ramp    the highest 1:1 rate whose p99 send->deliver stays within MAX_P99_MS (default 50) with 97%
#           delivered, 1,000 users, x1.08 a step of 4 s, a broken step run once more: the bare relay and
#           the acknowledging relay (--relay-acks: the switch's protocol without its storage) from
#           RELAY_FROM (default 24000/s), the switch at fsync never from SWITCH_FROM (default 20000/s) and
#           at fsync batch from BATCH_FROM (default 8000/s), REPS times each, alternated. Compare only
#           ramps started alike: a ramp started lower runs longer and meets more flushes and compactions.
#   half    30 s of chat at HALF_RATE (default: half the median maximum of the fsync never ramps) against
#           the switch (both fsync policies) and both relays: p50/p99/p99.9 and CPU per message.
#   idle    15,000 sessions heartbeating every 5 s for 10 s, per fsync policy: heap and RSS per session.
#   storm   15,000 sessions dropped and reconnected, at once and over 2 s, per fsync policy.
#   fanout  group fan-out (20 groups of 50, 100 sends a second) and channel fan-out (one post to 200,000
#           followers, 5,000 online) with 1:1 chat running beside them.
#   memory  io.xin.bench.SessionMemory: heap, direct and kernel bytes per idle session over sockets
#           (15,000) and in-JVM (100,000), parking and not (needs bench/target/benchmarks.jar).
#   cpu     chat at fixed rates (CPU_RATES, default "10000") against both relays and the switch (both fsync
#           policies): CPU and disk bytes written per message at an equal rate.
#   jmh     allocation per operation on the 1:1 hot path (JMH, -prof gc).
#   million MillionSessionsIT through Maven: a million in-JVM sessions parking in -Xmx2g (about 5 minutes).
# Every run warms up first (WARMUP_S, default 20 s) so that the JIT has compiled the hot path. USERS (default
# 1000) sets the connected users of the ramp, half and cpu phases: per-connection costs show at 10000.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/xin-reports/benchmarks-$(date -u +%Y%m%d-%H%M%S)}"
reps="${2:-${REPS:-2}}"
mkdir -p "$out"
xin="${XIN:-$here/xin}"
users="${USERS:-1000}"
warmup="${WARMUP_S:-20}"
ramp=(--users "$users" --step-factor 1.08 --duration 4 --warmup 1 --drain 5 --ramp-warmup "$warmup"
      --step-retries 1 --max-p99-ms "${MAX_P99_MS:-50}" --max-steps "${MAX_STEPS:-24}" --no-report)
bench_jar="$here/bench/target/benchmarks.jar"

log() { echo "$*" | tee -a "$out/runs.log"; }

run() { # name args...
  local name="$1"; shift
  log "== $name: $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$xin" loadgen "$@" --json "$out/$name.json" > "$out/$name.txt" 2>&1 || log "   exit $?"
  grep -E '^(step|max_sustainable_rate|achieved_rate|loadgen_cpu_us_per_message|deliver_latency|ack_latency|server_cpu_us_per_message|server_disk_write_bytes_per_message|server_idle_cpu_percent_of_core|server_rss_per_session_bytes|server_heap_per_session_bytes|recovery_ms|recovery_synced_ms|lost|duplicates) ' \
    "$out/$name.txt" | sed 's/^/   /' | tee -a "$out/runs.log" || true
}

run_java() { # name heap args... (the bench module's tools)
  local name="$1" heap="$2"; shift 2
  [ -f "$bench_jar" ] || (cd "$here" && ./mvnw -B -q -pl bench -am package -DskipTests)
  log "== $name: $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  java "$heap" -cp "$bench_jar" "$@" > "$out/$name.txt" 2>&1 || log "   exit $?"
  grep -iE 'per session|sessions|parked' "$out/$name.txt" | tail -n 12 | sed 's/^/   /' | tee -a "$out/runs.log" || true
}

value() { # file key -> first numeric value of "key" in a JSON summary
  grep -o "\"$2\" : [0-9.]*" "$1" | head -n 1 | sed 's/.*: //'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

phases="${PHASES:-ramp half idle storm fanout memory}"
has() { [[ " $phases " == *" $1 "* ]]; }

has ramp && for rep in $(seq 1 "$reps"); do
  run "ramp-relay-$rep" ramp --start relay --rate "${RELAY_FROM:-24000}" "${ramp[@]}"
  run "ramp-relayacks-$rep" ramp --start relay --relay-acks --rate "${RELAY_FROM:-24000}" "${ramp[@]}"
  run "ramp-never-$rep" ramp --start switch --fsync never --rate "${SWITCH_FROM:-20000}" "${ramp[@]}"
  run "ramp-batch-$rep" ramp --start switch --fsync batch --rate "${BATCH_FROM:-8000}" "${ramp[@]}"
done

has ramp && for target in relay relayacks never batch; do
  for rep in $(seq 1 "$reps"); do value "$out/ramp-$target-$rep.json" max_sustainable_rate; done | median \
    > "$out/max-$target.txt"
  log "median max sustainable rate, $target: $(cat "$out/max-$target.txt")"
done

has half && for rep in $(seq 1 "$reps"); do
  half="${HALF_RATE:-$( [ -f "$out/max-never.txt" ] && awk '{printf "%d", $1 / 2}' "$out/max-never.txt" || echo 0)}"
  [ "$half" -gt 0 ] || { log "half: no fsync never maximum; set HALF_RATE or run the ramp phase"; break; }
  chat=(--users "$users" --rate "$half" --duration 30 --warmup "$warmup" --no-report)
  run "half-never-$half-$rep" chat --start switch --fsync never "${chat[@]}"
  run "half-relay-$half-$rep" chat --start relay "${chat[@]}"
  run "half-relayacks-$half-$rep" chat --start relay --relay-acks "${chat[@]}"
  run "half-batch-$half-$rep" chat --start switch --fsync batch "${chat[@]}"
done

has cpu && for rep in $(seq 1 "${CPU_REPS:-1}"); do
  for rate in ${CPU_RATES:-10000}; do
    run "cpu-relay-$rate-$rep" chat --start relay --users "$users" --rate "$rate" --duration 30 --warmup "$warmup" \
      --no-report
    run "cpu-relayacks-$rate-$rep" chat --start relay --relay-acks --users "$users" --rate "$rate" --duration 30 \
      --warmup "$warmup" --no-report
    for fsync in never batch; do
      run "cpu-$fsync-$rate-$rep" chat --start switch --fsync "$fsync" --users "$users" --rate "$rate" --duration 30 \
        --warmup "$warmup" --no-report
    done
  done
done

for fsync in never batch; do
  has idle && run "idle-$fsync-15000" idle --start switch --fsync "$fsync" --users 15000 --duration 10 \
    --heartbeat-interval-ms 5000 --no-report
  has storm || continue
  run "storm-$fsync-15000-0" storm --start switch --fsync "$fsync" --users 15000 --jitter-ms 0 --no-report
  run "storm-$fsync-15000-2000" storm --start switch --fsync "$fsync" --users 15000 --jitter-ms 2000 --no-report
done

if has fanout; then
  run "group-50-100" group --start embedded --users 1000 --group-size 50 --rate 100 --warmup 2 --duration 10 --no-report
  run "chat-5000" chat --start embedded --users 1000 --rate 5000 --warmup 2 --duration 10 --no-report
  run "broadcast-1000" broadcast --start embedded --users 200 --rate 500 --warmup 2 --duration 10 --post-at 3 \
    --followers 1000 --online-followers 1000 --no-report
  run "broadcast-200000" broadcast --start embedded --users 200 --rate 500 --warmup 2 --duration 10 --post-at 3 \
    --followers 200000 --online-followers 5000 --no-report
fi

if has memory; then
  for park in 0 2000; do
    run_java "memory-socket-15000-park$park" -Xmx2g io.xin.bench.SessionMemory --transport socket --sessions 15000 \
      --park-idle-ms "$park"
    run_java "memory-local-100000-park$park" -Xmx3g io.xin.bench.SessionMemory --transport local --sessions 100000 \
      --park-idle-ms "$park"
  done
fi

if has jmh; then
  [ -f "$bench_jar" ] || (cd "$here" && ./mvnw -B -q -pl bench -am package -DskipTests)
  log "== jmh: allocation per operation, 32-byte body"
  java -jar "$bench_jar" -prof gc -f 1 -wi 3 -i 5 -w 1s -r 1s -p fsync=NEVER -p payloadBytes=32 \
    'DispatcherBenchmark|JournalBenchmark.batchOf16|FrameCodecBenchmark.decodeSendView' > "$out/jmh-alloc.txt" 2>&1 \
    || log "   exit $?"
  grep -E 'gc.alloc.rate.norm' "$out/jmh-alloc.txt" | sed 's/^/   /' | tee -a "$out/runs.log" || true
fi

if has million; then
  log "== million: MillionSessionsIT (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  (cd "$here" && ./mvnw -B -pl bench -am verify -Pmillion -Dit.test=MillionSessionsIT -Dtest=none \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false) > "$out/million.txt" 2>&1 \
    || log "   exit $?"
  grep -E 'logins|parked|Tests run' "$out/million.txt" | sed 's/^/   /' | tee -a "$out/runs.log" || true
fi
log "results in $out"
