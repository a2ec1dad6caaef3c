#!/usr/bin/env bash
# Style and warnings, as CI checks them:
#   1. `swift format lint --strict` over Sources/ and Tests/ with the repository's .swift-format
#      (swift-nio's settings, line length 120); `swift format format -i -r Sources Tests` fixes most findings.
#   2. the project's own targets build without a warning. Warnings print only for files that are
#      compiled, so this step builds in its own scratch folder (.build-lint) from scratch every time
#      unless --incremental is given, and fails on any warning in Sources/ or Tests/ (dependencies'
#      warnings are theirs and ignored).
#
#   scripts/lint.sh [--format-only | --warnings-only] [--scratch PATH] [--incremental]
#
# CI runs it first on its fresh clone with `--scratch .build --incremental`: nothing is built yet, so every
# file compiles (and shows its warnings) once, and the tests that follow reuse that build.
set -euo pipefail
cd "$(dirname "$0")/.."
format=1 warnings=1 incremental=0 scratch=.build-lint
while [ $# -gt 0 ]; do
  case $1 in
    --format-only) warnings=0 ;;
    --warnings-only) format=0 ;;
    --incremental) incremental=1 ;;
    --scratch) scratch=$2; shift ;;
    *) echo "lint.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
status=0
if [ $format = 1 ]; then
  echo "== swift format lint --strict"
  if swift format lint --strict --recursive --parallel Sources Tests Package.swift; then
    echo "format: clean"
  else
    echo "format: findings above (fix with: swift format format -i -r Sources Tests Package.swift)" >&2
    status=1
  fi
fi
if [ $warnings = 1 ]; then
  echo "== warnings in the project's own targets"
  ./scripts/install-deps.sh
  # Only the project's own products are removed; the dependencies' builds are kept.
  if [ $incremental = 0 ] && [ -d "$scratch" ]; then
    find "$scratch" -maxdepth 3 \( -name '*.build' -o -name '*.swiftmodule' \) -path '*/debug/*' 2>/dev/null \
      | grep -E '/(BridgeProtocol|BridgeStore|BridgeCore|BridgeClient|BridgeServer|WebSocketTransport|InfinityClient|InfinitySimulator|pexbridge|TestSupport|TestSpawn|[A-Za-z]+Tests)\.(build|swiftmodule)$' \
      | xargs rm -rf || true
  fi
  log=$(mktemp)
  swift build --build-tests --scratch-path "$scratch" 2>&1 | tee "$log" | grep -E '^(Build|error)|error:' || true
  if grep -q 'error:' "$log"; then
    echo "warnings: the build failed" >&2
    status=1
  fi
  root=$(pwd)
  own=$(grep -E "^$root/(Sources|Tests)/.*: warning:" "$log" | sort -u || true)
  if [ -n "$own" ]; then
    echo "$own" >&2
    echo "warnings: $(echo "$own" | wc -l) in the project's own files" >&2
    status=1
  else
    echo "warnings: none in the project's own files"
  fi
  rm -f "$log"
fi
exit $status
