#!/usr/bin/env bash
# The Swift suite under a sanitizer, in its own build folder (.build-thread / .build-address):
#
#   scripts/sanitize.sh thread|address [swift test arguments…]
#
# No test is excluded. libwebsockets and Debian's system libraries are not instrumented; only Swift code
# (the project's and its packages') is.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh thread|address}
shift
case $kind in thread|address) ;; *) echo "sanitize.sh: thread or address, not $kind" >&2; exit 64 ;; esac
./scripts/install-deps.sh --test
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
venv=${PEXBRIDGE_WEBSOCKETS_VENV:-/tmp/pexbridge-websockets-venv}
[ -x "$venv/bin/python3" ] && export PEXBRIDGE_WEBSOCKETS_PYTHON=$venv/bin/python3
swift build --build-tests --sanitize="$kind" --scratch-path ".build-$kind"
# halt_on_error: a report fails the run instead of scrolling past.
# Every lock in the project is a pthread mutex ThreadSanitizer sees (Sources/Locking says why not
# Synchronization.Mutex), so a report is a race. No suppressions: sqlite-nio's row-array query, whose continuation
# ordering TSan cannot see (swiftlang/swift#57803), is not used (BridgeStore's SQLiteDriver collects rows under a lock).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
# The tests' ceilings (never assertions about time: a ceiling only ends a broken test) stretched for the slower
# instrumented code (Tests/TestSupport/Eventually.swift, TestPatience).
if [ "$kind" = thread ]; then default_patience=6; else default_patience=3; fi
export PEXBRIDGE_TEST_PATIENCE=${PEXBRIDGE_TEST_PATIENCE:-$default_patience}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}
swift test --skip-build --sanitize="$kind" --scratch-path ".build-$kind" --parallel "$@"
