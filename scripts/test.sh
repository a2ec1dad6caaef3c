#!/usr/bin/env bash
# The README's second command, and what CI runs: every test. Swift (unit, real-socket integration,
# command line), the web page in headless Chromium, and WebSocket conformance (Autobahn cases 1-7,
# when Python 2.7 is available). Installs what is missing (libwebsockets-dev, Python's jsonschema,
# chromium and chromium-driver, Selenium in a virtualenv) through apt-get and pip.
#
#   scripts/test.sh [swift|browser|autobahn]...   (default: all three, in that order)
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(swift browser autobahn)
./scripts/install-deps.sh --test
for part in "${parts[@]}"; do
  case $part in
    swift)
      # Python's `websockets` client checks that refused upgrades are readable HTTP (WebSocketTransportTests).
      venv=${PEXBRIDGE_WEBSOCKETS_VENV:-/tmp/pexbridge-websockets-venv}
      if ! "$venv/bin/python3" -c 'import websockets.sync.client' 2>/dev/null; then
        python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check 'websockets>=13'
      fi
      export PEXBRIDGE_WEBSOCKETS_PYTHON=$venv/bin/python3 PEXBRIDGE_REQUIRE_PYTHON_WEBSOCKETS=1
      swift build --build-tests
      # The suite runs many bridges and sockets at once: lift the soft open-file limit (often 1,024) to the hard one.
      ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
      swift test --skip-build
      ;;
    browser)
      swift build --product pexbridge
      PEXBRIDGE_BIN=.build/debug/pexbridge ./scripts/browser-test.sh
      ;;
    autobahn)
      swift build --product pexbridge
      PEXBRIDGE_BIN=.build/debug/pexbridge ./scripts/autobahn.sh 1-7
      ;;
    *)
      echo "test.sh: unknown part '$part' (swift, browser, autobahn)" >&2
      exit 64
      ;;
  esac
done
