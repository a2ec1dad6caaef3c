#!/usr/bin/env bash
# The web page's end-to-end test in a real browser: headless Chromium driven by Selenium, against a
# bridge started here with --simulate (Tests/browser/). It builds nothing: the bridge binary is
# $PEXBRIDGE_BIN (default .build/debug/pexbridge). It installs what is missing: Debian's chromium
# and chromium-driver, and selenium, pytest and websockets in a virtualenv ($PEXBRIDGE_BROWSER_VENV,
# default /tmp/pexbridge-browser-venv). Screenshots of every step and the bridges' logs go to
# artifacts/browser/ ($PEXBRIDGE_ARTIFACTS). The tests get the bridge as PEXBRIDGE_URL and its
# simulator's control API as PEXBRIDGE_SIMULATOR_URL.
#
#   scripts/browser-test.sh [--update-docs] [pytest arguments…]
#     --update-docs          also copy the README's screenshots to docs/screenshots/
#     PEXBRIDGE_WEB_ROOT=DIR serve the page from DIR (--web-root) instead of the binary's copy
#     PEXBRIDGE_SKIP_CONF=1  leave out the tests marked needs_conf (issue 11's page and dashboard flows,
#                            which need the whole-conference backend)
#
# Exits with pytest's status.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

pytest_args=()
for arg in "$@"; do
  if [ "$arg" = "--update-docs" ]; then export PEXBRIDGE_UPDATE_DOCS=1; else pytest_args+=("$arg"); fi
done

BIN=${PEXBRIDGE_BIN:-.build/debug/pexbridge}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
if [ ! -x "$BIN" ]; then
  echo "browser-test: no bridge binary at $BIN (build it with 'swift build', or set PEXBRIDGE_BIN)" >&2
  exit 2
fi
if [ -n "${PEXBRIDGE_WEB_ROOT:-}" ]; then
  case $PEXBRIDGE_WEB_ROOT in /*) ;; *) PEXBRIDGE_WEB_ROOT=$ROOT/$PEXBRIDGE_WEB_ROOT ;; esac
  export PEXBRIDGE_WEB_ROOT
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  $SUDO apt-get install -y -qq "$@" >/dev/null
}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  echo "browser-test: installing ${need[*]}"
  apt_install "${need[@]}"
fi

VENV=${PEXBRIDGE_BROWSER_VENV:-/tmp/pexbridge-browser-venv}
if ! "$VENV/bin/python" -c 'import selenium, pytest, websockets, axe_playwright_python' >/dev/null 2>&1; then
  echo "browser-test: installing selenium, pytest, websockets and axe-core in $VENV"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    apt_install python3-venv   # Debian's python3 ships venv support separately
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check selenium pytest websockets
  # Only for the axe-core script it ships (the accessibility audit); Playwright itself is not used.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps axe-playwright-python==0.1.8
fi

ARTIFACTS=${PEXBRIDGE_ARTIFACTS:-$ROOT/artifacts/browser}
case $ARTIFACTS in /*) ;; *) ARTIFACTS=$ROOT/$ARTIFACTS ;; esac
export PEXBRIDGE_ARTIFACTS=$ARTIFACTS
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png "$ARTIFACTS"/*.log "$ARTIFACTS"/*.txt
LOG=$ARTIFACTS/bridge-main.log
OUT=$(mktemp)
"$BIN" serve --simulate --listen 127.0.0.1:0 ${PEXBRIDGE_WEB_ROOT:+--web-root "$PEXBRIDGE_WEB_ROOT"} >"$OUT" 2>"$LOG" &
BRIDGE_PID=$!

stop_bridge() {
  if kill -0 "$BRIDGE_PID" 2>/dev/null; then
    kill -TERM "$BRIDGE_PID"
    for _ in $(seq 1 150); do kill -0 "$BRIDGE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BRIDGE_PID" 2>/dev/null || true
  fi
  wait "$BRIDGE_PID" 2>/dev/null || true
  rm -f "$OUT"
}
trap stop_bridge EXIT

PORT=""
for _ in $(seq 1 300); do
  PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$OUT" | head -n 1)
  [ -n "$PORT" ] && break
  if ! kill -0 "$BRIDGE_PID" 2>/dev/null; then
    echo "browser-test: the bridge exited at start:" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "browser-test: the bridge printed no address within 30 s" >&2
  exit 1
fi
# The simulator's control API (the tests play the conference node through it), from the line
# `simulator: node "simulator" (…); control API: http://HOST:PORT/_simulator/rooms; …`.
SIMULATOR=""
for _ in $(seq 1 50); do
  SIMULATOR=$(sed -n 's|^simulator: .*control API: \(http://[^/ ;]*\)/_simulator/.*$|\1|p' "$OUT" | head -n 1)
  [ -n "$SIMULATOR" ] && break
  sleep 0.1
done
if [ -z "$SIMULATOR" ]; then
  echo "browser-test: the bridge printed no simulator control API address" >&2
  exit 1
fi
echo "browser-test: bridge $BIN on 127.0.0.1:$PORT, simulator $SIMULATOR${PEXBRIDGE_WEB_ROOT:+ (page from $PEXBRIDGE_WEB_ROOT)}"

export PEXBRIDGE_URL="http://127.0.0.1:$PORT" PEXBRIDGE_SIMULATOR_URL="$SIMULATOR" PEXBRIDGE_BIN="$BIN" PYTHONDONTWRITEBYTECODE=1
set +e
marker=()
if [ "${PEXBRIDGE_SKIP_CONF:-}" = 1 ]; then marker=(-m "not needs_conf"); fi
"$VENV/bin/python" -m pytest Tests/browser -v -p no:cacheprovider "${marker[@]}" "${pytest_args[@]}"
status=$?
set -e
stop_bridge
trap - EXIT
exit $status
