#!/usr/bin/env bash
# Benchmarks of the release build: fan-out to 1,000 / 5,000 / 10,000 observers beside the plain-C
# libwebsockets broadcaster, RSS per idle observer, 1,000 sessions, join latency. One command:
#
#   scripts/bench.sh [--only fanout,sessions,join] [--sizes 1000,5000,10000] [--repeat N] ...
#
# and the intake and memory benchmarks, one at a time:
#
#   scripts/bench.sh flood [--bin PATH] [--flood-clients 50] [--flood-seconds 10] ...
#   scripts/bench.sh churn [--bin PATH] [--churn-seconds 600] [--env MALLOC_ARENA_MAX=2] ...
#   scripts/bench.sh speakers [--bin PATH] [--speakers-sessions 100] [--speakers-observers 1000] ...
#
# and the store's (issue 13: takeover after SIGKILL, resume after a restart, fan-out with a store, delivery
# across instances; PostgreSQL from Debian's packages, started here in a temporary directory):
#
#   scripts/bench.sh store [--store-only takeover,resume,fanout,cross] [--stores sqlite,postgres]
#                    [--lease-seconds 10] [--takeover-sessions 100] [--resume-sessions 1000] [--sizes 10000] ...
#
# (every option goes to bench/bench.py; `scripts/bench.sh --help` lists them). `--bin PATH` measures
# that binary (e.g. a baseline release build) instead of building this tree's. The fan-out needs the
# measuring sticks (fanout_probe.py, lws_broadcast_server.c) in ${PEXBRIDGE_BENCH_DIR:-../shared/bench},
# gcc and libwebsockets-dev. `all` runs for about 10 minutes on 2 cores, flood for about 20 s, churn
# for 10 minutes by default; figures are printed and kept in artifacts/bench/results*.json. Load
# matters: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
  flood | churn | speakers | store) mode=$1; shift ;;
esac
bin=
prev=
prev_store=
for arg in "$@"; do
  [ "$prev" = --bin ] && bin=$arg
  case "$arg" in --bin=*) bin=${arg#--bin=} ;; esac
  prev=$arg
done

# The store's fan-out (in the default --store-only list) runs beside the C broadcaster too.
c_needed=no
if [ "$mode" = all ]; then
  c_needed=yes
elif [ "$mode" = store ]; then
  c_needed=yes
  for arg in "$@"; do
    case "$prev_store" in --store-only) case ",$arg," in *,fanout,*) ;; *) c_needed=no ;; esac ;; esac
    case "$arg" in --store-only=*) case ",${arg#--store-only=}," in *,fanout,*) ;; *) c_needed=no ;; esac ;; esac
    prev_store=$arg
  done
fi

bench_dir=${PEXBRIDGE_BENCH_DIR:-../shared/bench}
if [ "$c_needed" = yes ]; then
  for f in fanout_probe.py lws_broadcast_server.c; do
    if [ ! -f "$bench_dir/$f" ]; then
      echo "bench: $bench_dir/$f not found (set PEXBRIDGE_BENCH_DIR)" >&2
      exit 2
    fi
  done
  bench_dir=$(cd "$bench_dir" && pwd)
fi
./scripts/install-deps.sh

# 10,000 observers need 10,000 descriptors in the bridge (the probe spreads its clients over 2 processes).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$c_needed" = yes ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "bench: the open-file limit is $(ulimit -n); 10,000 observers need about 10,100 (raise ulimit -n)" >&2
fi

bin_args=()
if [ -z "$bin" ]; then
  echo "bench: building the release binary (.build-release)"
  swift build -c release --scratch-path .build-release --product pexbridge
  bin="$(swift build -c release --scratch-path .build-release --show-bin-path)/pexbridge"
  bin_args=(--bin "$bin")
elif [ ! -x "$bin" ]; then
  echo "bench: --bin $bin is not an executable" >&2
  exit 2
fi

# The probe uses uvloop when the interpreter has it (as the bench README does); stdlib otherwise.
py=${PEXBRIDGE_BENCH_PYTHON:-}
if [ -z "$py" ]; then
  if [ ! -x .venv-bench/bin/python ]; then
    python3 -m venv .venv-bench >/dev/null 2>&1 &&
      .venv-bench/bin/pip install -q --disable-pip-version-check uvloop >/dev/null 2>&1 || true
  fi
  py=python3
  [ -x .venv-bench/bin/python ] && py=.venv-bench/bin/python
fi

if [ "$c_needed" = yes ]; then
  c_server=.build-release/lws_broadcast_server
  mkdir -p .build-release
  gcc -O2 -o "$c_server" "$bench_dir/lws_broadcast_server.c" $(pkg-config --cflags --libs libwebsockets)
  exec "$py" bench/bench.py "$mode" "${bin_args[@]}" --c-server "$c_server" --bench-dir "$bench_dir" "$@"
fi
exec "$py" bench/bench.py "$mode" "${bin_args[@]}" "$@"
