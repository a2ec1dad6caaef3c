#!/usr/bin/env bash
# The README's first command: the bridge with the embedded conference simulator and the web page on
# http://127.0.0.1:8080/ (extra arguments go to `pexbridge serve`, e.g. --listen 127.0.0.1:9000).
# Installs libwebsockets-dev first when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
exec swift run pexbridge serve --simulate "$@"
