#!/usr/bin/env bash
# libFuzzer runs of pexbridge's parsers (issue 10): the client request decoder, the SSE parser and the decoding
# of the node's JSON. Builds Fuzz/ (its own SwiftPM package, -sanitize=fuzzer,address) and runs each target:
#
#   scripts/fuzz.sh [--time SECONDS] [--runs N] [--max-len BYTES] [--no-build] [TARGET ...]
#
# TARGET: FuzzRequestCodec, FuzzSSEParser, FuzzInfinityJSON (default: all three, one after the other).
# --time: -max_total_time per target (default 600); --runs: -runs per target (stops at whichever comes first).
# Each run starts from the committed seeds (Fuzz/corpus/TARGET; protocol/examples too for the request decoder;
# Fuzz/record-corpus.sh re-records the simulator's) plus what earlier runs found
# (artifacts/fuzz/corpus/TARGET, where new inputs go). Crashes, leaks and timeouts land in
# artifacts/fuzz/TARGET-crash-* (or -leak-, -timeout-, -oom-); replay one with
# `SWIFT_BACKTRACE=enable=no Fuzz/.build-fuzz/release/TARGET FILE`.
# Prints per target: executions, seconds, exec/s, coverage, crashes; exits 1 on any crash.
# PEXBRIDGE_FUZZ_SANITIZERS=fuzzer builds without AddressSanitizer (a separate build directory).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

time_s=600
runs=
max_len=
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_s=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --max-len) max_len=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    Fuzz*) targets+=("$1"); shift ;;
    *) echo "fuzz: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(FuzzRequestCodec FuzzSSEParser FuzzInfinityJSON)

sanitizers=${PEXBRIDGE_FUZZ_SANITIZERS:-fuzzer,address}
scratch=.build-fuzz
[ "$sanitizers" = fuzzer,address ] || scratch=.build-fuzz-${sanitizers//,/-}
cd Fuzz
# The same dependency pins as the root package (the fuzz package resolves its own graph).
[ -f ../Package.resolved ] && cp ../Package.resolved Package.resolved
if [ "$build" = 1 ]; then
  echo "fuzz: building ${targets[*]} (-sanitize=$sanitizers, release, Fuzz/$scratch)"
  for t in "${targets[@]}"; do
    PEXBRIDGE_FUZZ_SANITIZERS=$sanitizers swift build -c release --scratch-path "$scratch" --product "$t"
  done
fi
bin_dir=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
cd "$root"

out=artifacts/fuzz
mkdir -p "$out"
# ASan: report leaks too, and keep going through libFuzzer's own crash handling. Swift's own crash backtracer
# is turned off: it fights ASan over the crashed process, and libFuzzer then saves no input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export SWIFT_BACKTRACE=enable=no
symbolizer=$(dirname "$(command -v swift)")/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}
summary=()
crashed=0
for t in "${targets[@]}"; do
  corpus=$out/corpus/$t
  mkdir -p "$corpus"
  seeds=("Fuzz/corpus/$t")
  # The request decoder also starts from every example of the protocol (requests and server messages).
  [ "$t" = FuzzRequestCodec ] && seeds+=(protocol/examples)
  flags=(-max_total_time="$time_s" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096
    -artifact_prefix="$out/$t-")
  [ -n "$runs" ] && flags+=(-runs="$runs")
  [ -n "$max_len" ] && flags+=(-max_len="$max_len")
  log=$out/$t.log
  echo "fuzz: $t for ${time_s}s${runs:+ or $runs runs} (log $log)"
  before=$(ls "$out" | grep -c "^$t-" || true)
  set +e
  "$bin_dir/$t" "${flags[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  after=$(ls "$out" | grep -c "^$t-" || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$((after - before))
  if [ "$rc" != 0 ] || [ "$found" -gt 0 ]; then
    crashed=1
    echo "fuzz: $t FAILED (exit $rc); new artifacts:"
    ls -t "$out" | grep "^$t-" | head -n "$((found > 0 ? found : 1))" | sed "s|^|  $out/|"
    grep -m1 -i -A25 -E 'Fatal error|^==[0-9]+== ?ERROR' "$log" | sed 's/^/  /' || true
  fi
  summary+=("$(printf '%-18s %12s %8s %10s %6s %8s' "$t" "${execs:-?}" "${secs:-?}" "${rate:-?}" "${cov:-?}" \
    "$([ "$rc" = 0 ] && [ "$found" = 0 ] && echo 0 || echo "$((found > 0 ? found : 1))")")")
done
printf '\n%-18s %12s %8s %10s %6s %8s\n' target executions seconds exec/s cov crashes
printf '%s\n' "${summary[@]}"
exit "$crashed"
