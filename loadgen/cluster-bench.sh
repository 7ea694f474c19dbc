#!/usr/bin/env bash
# Measures cluster mode against one switch on this machine with the project's own tools: `./xin kafka` (a
# single-node Kafka on loopback), `./xin server` (one switch, or NODES switches with the cluster flags) and
# `./xin loadgen chat` (with --seeds against the cluster). Writes one JSON summary, text log and per-second
# CSV per run into OUT (default: xin-reports/cluster-bench-TIME), the key lines with the load average before
# each run into OUT/runs.log, and each switch's log beside them.
#
#   loadgen/cluster-bench.sh [OUT] [REPS]
#
# Phases (PHASES, default "compare failover restore"):
#   compare   chat at each rate of RATES (default "2000 5000") with each user count of USERS (default
#             "1000 10000"), alternating a single switch and a cluster of NODES (default 3) switches with
#             PARTITIONS (default 6) partitions, each a fresh process (the cluster: fresh topics) on the same
#             Kafka, REPS times: achieved rate, send->ack and send->deliver percentiles, CPU per delivered
#             message of every switch, the Kafka broker and the generator, and the switches' mean Kafka
#             append (xin_cluster_append_seconds_total / xin_cluster_appends_total over the run).
#   ramp      the highest rate of each target (./xin loadgen ramp), 1,000 users, from RAMP_FROM (default 2000).
#   failover  chat at FAILOVER_RATE (default 2000) against a fresh cluster; KILL_AT_S (default 20) seconds into
#             the measured window node n2 is killed with SIGKILL. Its users' sends wait for the group's session
#             timeout, the take-over and their reconnect: the per-second CSV shows the gap in acks, the
#             largest send->ack latency the time from the kill until they are acknowledged again.
#   restore   one node fills the log with FILL_S (default 60) seconds of chat at FILL_RATE (default 8000), stops;
#             a node with an empty data directory takes every shard over (its "Owns journal shard" lines and
#             xin_cluster_restore_seconds_total: seconds per GB of log); then CATCHUP_S (default 20) more seconds
#             of chat and the first node returns and catches up.
# CLUSTER_FLAGS adds flags to every cluster node (e.g. --cluster-kafka-properties FILE).
# Every switch runs with SWITCH_JAVA_OPTS (default -Xms1g -Xmx1g), fsync never, on loopback ports from
# BASE_PORT (default 7810; admin ports from BASE_PORT + 100). All of it shares the machine's cores: see
# docs/benchmarks.md for what that means for the figures.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/xin-reports/cluster-bench-$(date -u +%Y%m%d-%H%M%S)}"
reps="${2:-${REPS:-1}}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
xin="${XIN:-$here/xin}"
secret="${XIN_JWT_SECRET:-cluster-bench-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
nodes="${NODES:-3}"
partitions="${PARTITIONS:-6}"
base_port="${BASE_PORT:-7810}"
warmup="${WARMUP_S:-20}"
duration="${DURATION_S:-30}"
switch_opts="${SWITCH_JAVA_OPTS:--Xms1g -Xmx1g -XX:+PerfDisableSharedMem}"
phases="${PHASES:-compare failover restore}"
has() { [[ " $phases " == *" $1 "* ]]; }

started=() # processes this script started, stopped at its exit
cleanup() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

log() { echo "$*" | tee -a "$out/runs.log"; }

wait_for() { # seconds description command...: poll once a second until the command succeeds
  local limit="$1" what="$2"; shift 2
  for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 1; done
  log "   timed out waiting for $what"; return 1
}

metric() { # admin-port name -> value (0 when absent or the node is gone)
  curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {print $2; f=1} END {if (!f) print 0}'
}

start_kafka() {
  "$xin" kafka > "$out/kafka.out" 2>&1 &
  kafka_pid=$!
  started+=("$kafka_pid")
  wait_for 180 "kafka" grep -q '^xin kafka bootstrap' "$out/kafka.out"
  bootstrap=$(awk '/^xin kafka bootstrap/ {print $4}' "$out/kafka.out")
  broker_pid=$(awk '/^xin kafka bootstrap/ {print $6}' "$out/kafka.out")
  kafka_dir=$(awk '/^xin kafka bootstrap/ {print $8}' "$out/kafka.out")
  log "kafka at $bootstrap, broker pid $broker_pid, data in $kafka_dir"
}

# start_node CLUSTER K DATA_DIR: switch nK of the cluster (port BASE_PORT + K, admin BASE_PORT + 100 + K); sets
# node_pid[K]. CLUSTER "" starts a single switch without the cluster flags.
declare -A node_pid
start_node() {
  local cluster="$1" k="$2" dir="$3" port=$((base_port + $2)) admin=$((base_port + 100 + $2))
  local flags=()
  [ -n "$cluster" ] && flags=(--cluster-kafka "$bootstrap" --cluster-name "$cluster" --cluster-node-id "n$k"
    --cluster-advertised-address "127.0.0.1:$port" --cluster-partitions "$partitions"
    --cluster-replication-factor 1 --cluster-min-insync-replicas 1 ${CLUSTER_FLAGS:-})
  mkdir -p "$dir"
  XIN_JAVA_OPTS="$switch_opts" "$xin" server --port "$port" --admin-port "$admin" --data-dir "$dir" --fsync never \
    --jwt-secret "$secret" --strangers-allowed-by-default true ${flags[@]+"${flags[@]}"} \
    > "$out/${cluster:-single}-n$k.log" 2>&1 &
  node_pid[$k]=$!
  started+=("${node_pid[$k]}")
}

owned_shards() { # K... -> shards the nodes own together
  local sum=0 k
  for k in "$@"; do sum=$((sum + $(metric $((base_port + 100 + k)) xin_cluster_owned_shards | cut -d. -f1))); done
  echo "$sum"
}
all_owned() { [ "$(owned_shards "$@")" -eq "$partitions" ]; }
ready() { curl -sf --max-time 2 "http://127.0.0.1:$((base_port + 100 + $1))/readyz" > /dev/null; }

stop_node() { # K: SIGTERM (drains) and wait
  kill "${node_pid[$1]}" 2>/dev/null || true
  wait "${node_pid[$1]}" 2>/dev/null || true
}

start_cluster() { # CLUSTER: NODES switches, each with a fresh data directory; waits until every shard is owned
  local k
  for k in $(seq 1 "$nodes"); do start_node "$1" "$k" "$out/data/$1/n$k"; done
  wait_for 180 "cluster $1 to own every shard" all_owned $(seq 1 "$nodes")
}

stop_cluster() {
  local k
  for k in $(seq 1 "$nodes"); do stop_node "$k"; done
  rm -rf "$out/data"
}

appends() { # K... -> "seconds appends" summed over the nodes
  local s=0 n=0 k
  for k in "$@"; do
    s=$(echo "$s + $(metric $((base_port + 100 + k)) xin_cluster_append_seconds_total)" | bc -l)
    n=$(echo "$n + $(metric $((base_port + 100 + k)) xin_cluster_appends_total)" | bc -l)
  done
  echo "$s $n"
}

run() { # name args...: one load generator run
  local name="$1"; shift
  log "== $name: $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$xin" loadgen "$@" --jwt-secret "$secret" --json "$out/$name.json" --series "$out/$name.csv" --no-report \
    > "$out/$name.txt" 2>&1 || log "   exit $?"
  awk '/^(achieved_rate|ack_latency|deliver_latency|loadgen_cpu_us_per_message|lost|duplicates|result) / ||
       /^process_cpu_us_per_message:/ {print; m = /^process/; next} m && /^  / {print; next} {m = 0}' \
    "$out/$name.txt" | sed 's/^/   /' | tee -a "$out/runs.log" || true
}

seeds() { local k s=""; for k in $(seq 1 "$nodes"); do s="$s${s:+,}127.0.0.1:$((base_port + k))"; done; echo "$s"; }
cpu_pids() { local k s=""; for k in "$@"; do s="$s${s:+,}n$k=${node_pid[$k]}"; done; echo "$s,kafka=$broker_pid"; }

start_kafka
round=0

chat_against_single() { # name users rate [extra loadgen args...]
  local name="$1" users="$2" rate="$3"; shift 3
  start_node "" 0 "$out/data/single"
  wait_for 120 "the single switch" ready 0
  run "$name" chat --start none --host 127.0.0.1 --port "$base_port" --server-pid "${node_pid[0]}" \
    --cpu-pid "switch=${node_pid[0]},kafka=$broker_pid" --users "$users" --rate "$rate" "$@"
  stop_node 0
  rm -rf "$out/data"
}

chat_against_cluster() { # name users rate [extra loadgen args...]
  local name="$1" users="$2" rate="$3"; shift 3
  round=$((round + 1))
  local cluster="bench$round-$$"
  start_cluster "$cluster"
  local before after
  before=$(appends $(seq 1 "$nodes"))
  run "$name" chat --start none --seeds "$(seeds)" --cpu-pid "$(cpu_pids $(seq 1 "$nodes"))" \
    --users "$users" --rate "$rate" "$@"
  after=$(appends $(seq 1 "$nodes"))
  echo "$before $after" | awk '{ds = $3 - $1; dn = $4 - $2;
    printf "   kafka appends: %d over the run, mean %.2f ms\n", dn, (dn > 0 ? 1000 * ds / dn : 0)}' \
    | tee -a "$out/runs.log"
  stop_cluster
}

has compare && for rep in $(seq 1 "$reps"); do
  for users in ${USERS:-1000 10000}; do
    for rate in ${RATES:-2000 5000}; do
      chat=(--duration "$duration" --warmup "$warmup")
      chat_against_single "single-users$users-rate$rate-$rep" "$users" "$rate" "${chat[@]}"
      chat_against_cluster "cluster-users$users-rate$rate-$rep" "$users" "$rate" "${chat[@]}"
    done
  done
done

has ramp && for rep in $(seq 1 "$reps"); do
  ramp=(--step-factor 1.08 --duration 4 --warmup 1 --drain 5 --ramp-warmup "$warmup" --step-retries 1
        --max-p99-ms "${MAX_P99_MS:-50}" --max-steps "${MAX_STEPS:-24}")
  start_node "" 0 "$out/data/single"
  wait_for 120 "the single switch" ready 0
  run "ramp-single-$rep" ramp --start none --port "$base_port" --server-pid "${node_pid[0]}" --users 1000 \
    --rate "${RAMP_FROM:-2000}" "${ramp[@]}"
  stop_node 0; rm -rf "$out/data"
  round=$((round + 1)); start_cluster "ramp$round-$$"
  run "ramp-cluster-$rep" ramp --start none --seeds "$(seeds)" --users 1000 --rate "${RAMP_FROM:-2000}" "${ramp[@]}"
  stop_cluster
done

if has failover; then
  round=$((round + 1))
  cluster="failover$round-$$"
  start_cluster "$cluster"
  name="failover-users1000-rate${FAILOVER_RATE:-2000}"
  kill_at=$(( ${KILL_AT_S:-20} + ${FAILOVER_WARMUP_S:-10} ))
  (
    # Timed from the generator's "logged in" line: its warm-up, then KILL_AT_S seconds of the measured window.
    wait_for 300 "the generator to log in" grep -q 'logged in' "$out/$name.txt" || exit 0
    sleep "$kill_at"
    log "   killed n2 (pid ${node_pid[2]}) with SIGKILL at $(date -u +%H:%M:%S.%N), ${KILL_AT_S:-20} s into the window"
    kill -9 "${node_pid[2]}"
  ) &
  killer=$!
  run "$name" chat --start none --seeds "$(seeds)" --cpu-pid "$(cpu_pids $(seq 1 "$nodes"))" --users 1000 \
    --rate "${FAILOVER_RATE:-2000}" --duration "${FAILOVER_S:-60}" --warmup "${FAILOVER_WARMUP_S:-10}" --drain 30
  wait "$killer" 2>/dev/null || true
  grep -h "Owns journal shard\|Gave up\|lost" "$out/$cluster-n1.log" "$out/$cluster-n3.log" | sed 's/^/   /' \
    | tee -a "$out/runs.log" || true
  awk -F, 'NR > 1 && $2 > 0' "$out/$name.csv" | sed 's/^/   /' >> "$out/runs.log"
  stop_cluster
fi

if has restore; then
  round=$((round + 1))
  cluster="restore$round-$$"
  start_node "$cluster" 1 "$out/data/$cluster/n1"
  wait_for 180 "n1 to own every shard" all_owned 1
  run "restore-fill-rate${FILL_RATE:-8000}" chat --start none --seeds "127.0.0.1:$((base_port + 1))" --users 1000 \
    --rate "${FILL_RATE:-8000}" --duration "${FILL_S:-60}" --warmup 5
  stop_node 1
  log_bytes=$(du -sb "$kafka_dir"/data/"$cluster".log-* | awk '{s += $1} END {print s}')
  log "   log topic $cluster.log: $log_bytes bytes"
  t0=$(date +%s.%N)
  start_node "$cluster" 2 "$out/data/$cluster/n2"
  wait_for 600 "n2 to own every shard" all_owned 2
  t1=$(date +%s.%N)
  restore_s=$(metric $((base_port + 102)) xin_cluster_restore_seconds_total)
  entries=$(metric $((base_port + 102)) xin_cluster_restored_entries_total)
  log "   empty node: owns every shard $(echo "$t1 - $t0" | bc -l | cut -c1-6) s after its start (JVM included);" \
    "restore ${restore_s} s for $entries entries; $(echo "$restore_s / ($log_bytes / 1000000000)" | bc -l | cut -c1-6) s/GB"
  grep -h "Owns journal shard" "$out/$cluster-n2.log" | sed 's/^/   /' | tee -a "$out/runs.log"
  run "restore-catchup-rate${FILL_RATE:-8000}" chat --start none --seeds "127.0.0.1:$((base_port + 2))" --users 1000 \
    --rate "${FILL_RATE:-8000}" --duration "${CATCHUP_S:-20}" --warmup 0 --first-user-id 2000000
  log_bytes2=$(du -sb "$kafka_dir"/data/"$cluster".log-* | awk '{s += $1} END {print s}')
  log "   log topic grew by $((log_bytes2 - log_bytes)) bytes while n1 was away"
  mv "$out/$cluster-n1.log" "$out/$cluster-n1-first.log"
  t0=$(date +%s.%N)
  start_node "$cluster" 1 "$out/data/$cluster/n1"
  wait_for 600 "n1 to take its shards back" all_owned 1 2
  caught_up() { [ "$(owned_shards 1)" -gt 0 ] && [ "$(metric $((base_port + 101)) xin_cluster_standby_lag_entries | cut -d. -f1)" -eq 0 ]; }
  wait_for 600 "n1 to catch up" caught_up
  t1=$(date +%s.%N)
  log "   returning node: owns $(owned_shards 1) shard(s), standby lag 0, $(echo "$t1 - $t0" | bc -l | cut -c1-6) s" \
    "after its start; restore $(metric $((base_port + 101)) xin_cluster_restore_seconds_total) s for" \
    "$(metric $((base_port + 101)) xin_cluster_restored_entries_total) entries"
  grep -h "Owns journal shard" "$out/$cluster-n1.log" | sed 's/^/   /' | tee -a "$out/runs.log"
  stop_node 1; stop_node 2
  rm -rf "$out/data"
fi
log "results in $out"
