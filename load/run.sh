#!/usr/bin/env bash
# `make load`: starts the local stack (as `make dev` does, on its own ports) and the fixture
# board, runs load/locustfile.py headless for LOAD_SECONDS, samples the CPU of every process
# of the stack meanwhile, then stops what it started. Prints locust's per-route table
# (requests, failures, p50/p99), the jobs check, and CPU seconds per process kind.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${LOAD_PORT:-3100}
BOARD_PORT=${LOAD_BOARD_PORT:-3101}
USERS=${LOAD_USERS:-40}
SPAWN_RATE=${LOAD_SPAWN_RATE:-4}
SECONDS_=${LOAD_SECONDS:-60}
OUT=.local/load
mkdir -p "$OUT"

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT

.venv-load/bin/python load/board.py "$BOARD_PORT" &
pids+=($!)

# The keys and JOBMON_ALLOW_PRIVATE_SOURCES=1 are jobmon-local's local defaults.
JOBMON_GREENHOUSE_BASE_URL="http://127.0.0.1:$BOARD_PORT" \
JOBMON_METRICS_INTERVAL=0 \
JOBMON_PREFIX="jobmon-load" \
  target/debug/jobmon-local --port "$PORT" >"$OUT/stack.log" 2>&1 &
stack=$!
pids+=("$stack")

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/v1/health" >/dev/null 2>&1; then break; fi
  kill -0 "$stack" 2>/dev/null || { echo "the local stack did not start; see $OUT/stack.log"; exit 1; }
  sleep 1
done

# CPU time (utime+stime, in clock ticks) of the stack's processes, every 5 s: the
# gateway, moto, and each function's instances, named by their command.
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 }
    END { print root; for (p in parent) { x = p; while ((x in parent) && x != root && x > 1) x = parent[x]; if (x == root && p != root) print p } }'
}
sample() {
  while kill -0 "$stack" 2>/dev/null; do
    for pid in $(descendants "$stack"); do
      [ -r "/proc/$pid/stat" ] || continue
      name=$(tr '\0' ' ' <"/proc/$pid/cmdline" | awk '{print $1" "$2" "$3}')
      ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
      echo "$(date +%s) $pid $ticks $name"
    done
    sleep 5
  done
}
sample >"$OUT/cpu.txt" &
sampler=$!
pids+=("$sampler")

started=$(date +%s)
set +e
LOAD_BOARD_URL="http://127.0.0.1:$BOARD_PORT" \
  .venv-load/bin/locust -f load/locustfile.py --headless --only-summary \
  --host "http://127.0.0.1:$PORT" -u "$USERS" -r "$SPAWN_RATE" -t "${SECONDS_}s" \
  --stop-timeout 5 --csv "$OUT/locust" 2>&1 | grep -v '^\[' 
status=${PIPESTATUS[0]}
set -e
ended=$(date +%s)

echo
echo "== CPU seconds per process over the run ($((ended - started)) s, 2 cores = $((2 * (ended - started))) s available) =="
.venv-load/bin/python - "$OUT/cpu.txt" "$started" "$ended" <<'PY'
import sys, collections, os
path, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tick = os.sysconf("SC_CLK_TCK")
first, last, names = {}, {}, {}
for line in open(path):
    t, pid, ticks, *name = line.split()
    t, ticks = int(t), int(ticks)
    if t < start - 5 or t > end + 5:
        continue
    first.setdefault(pid, ticks)
    last[pid] = ticks
    names[pid] = " ".join(name)
def kind(name):
    n = name.split()
    exe = os.path.basename(n[0]) if n else "?"
    if "moto" in name:
        return "moto"
    if exe == "jobmon-local":
        return "gateway (jobmon-local)"
    return exe
total = collections.Counter()
for pid in last:
    total[kind(names[pid])] += (last[pid] - first[pid]) / tick
for k, v in total.most_common():
    print(f"{k:32s} {v:8.1f} s")
PY
exit "$status"
