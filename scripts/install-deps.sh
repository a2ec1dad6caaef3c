#!/usr/bin/env bash
# Installs what pexbridge needs beside the Swift toolchain: libwebsockets (the WebSocket server)
# and, for the tests, Python's jsonschema (an independent check of protocol/schema.json) and iproute2
# (NetworkNamespaceTests puts a watcher in its own network namespace; CI requires it to run), and PostgreSQL's
# server (the store tests start their own in a temporary directory; the package also creates the `postgres` user
# that initdb runs as when the tests run as root).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

need_apt=()
pkg-config --exists libwebsockets 2>/dev/null || need_apt+=(libwebsockets-dev)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ "${1:-}" = "--test" ]; then
  python3 -c 'import jsonschema' 2>/dev/null || need_apt+=(python3-jsonschema)
  command -v ip >/dev/null || need_apt+=(iproute2)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ "${1:-}" = "--test" ] && ! python3 -c 'import jsonschema' 2>/dev/null; then
  # python3 here is not Debian's (e.g. a pyenv build): install the package for it.
  python3 -m pip install -q jsonschema
fi
