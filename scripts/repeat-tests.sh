#!/usr/bin/env bash
# The Swift suite N times in a row (`swift test --skip-build --parallel`, after one build), for the determinism
# check: prints each run's summary line, and when a run stalls (no end after STALL seconds, default 150) lists the
# tests that started but never ended and saves every thread's backtrace (gdb) beside the run's log.
#
#   scripts/repeat-tests.sh [N=10] [STALL=150]
#
# Logs: artifacts/repeat/run-K.log (and run-K.gdb for a stall). Exit status: the number of runs that did not pass.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
stall=${2:-150}
out=artifacts/repeat
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
swift build --build-tests >/dev/null || exit 1
bad=0
for k in $(seq 1 "$runs"); do
  log=$out/run-$k.log
  swift test --skip-build --parallel >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 "$stall"); do
    sleep 1
    kill -0 "$pid" 2>/dev/null || break
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run $k: STALLED after ${stall} s; tests started but not ended:"
    python3 - "$log" <<'PY'
import re, sys
started, ended = set(), set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"◇ Test (\S+?)\(.*\) started", line)
    if m: started.add(m.group(1))
    m = re.search(r"[✔✘] Test (\S+?)\(.*\) (passed|failed)", line)
    if m: ended.add(m.group(1))
print("  " + ", ".join(sorted(started - ended)))
PY
    xctest=$(pgrep -f 'pexbridgePackageTests.xctest' | head -1)
    [ -n "$xctest" ] && command -v gdb >/dev/null &&
      timeout 60 gdb -p "$xctest" -batch -ex 'thread apply all bt 30' >"$out/run-$k.gdb" 2>&1
    pkill -f 'pexbridgePackageTests.xctest'
    bad=$((bad + 1))
    wait "$pid" 2>/dev/null
    continue
  fi
  wait "$pid"
  status=$?
  summary=$(grep -E 'Test run with' "$log" | tail -1)
  echo "run $k: ${summary:-no summary (exit $status)}"
  [ "$status" -eq 0 ] || bad=$((bad + 1))
done
echo "repeat-tests: $((runs - bad)) of $runs passed"
exit "$bad"
