#!/usr/bin/env bash
# Records the seed corpus of FuzzSSEParser and FuzzInfinityJSON from a running simulator: the raw `events`
# stream of a room while participants come, go, mute, chat and present, and the JSON bodies of request_token
# (granted, PIN challenge, wrong PIN, unknown room, locked room), refresh_token, participants and
# conference_status. Seeds of FuzzInfinityJSON are "<kind> <status>\n<body>" (see FuzzInfinityJSON.swift).
#
#   Fuzz/record-corpus.sh PEXBRIDGE_BINARY     (rewrites Fuzz/corpus/FuzzSSEParser and .../FuzzInfinityJSON)
#
# The simulator's tokens in the seeds are its own throwaway values, not secrets of any real node.
set -euo pipefail
bin=${1:?usage: record-corpus.sh PEXBRIDGE_BINARY}
cd "$(dirname "$0")"
sse=corpus/FuzzSSEParser
json=corpus/FuzzInfinityJSON
rm -rf "$sse" "$json"
mkdir -p "$sse" "$json"
tmp=$(mktemp -d)
"$bin" simulate --listen 127.0.0.1:0 --log-level warning >"$tmp/sim.out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q 'listening on' "$tmp/sim.out" && break; sleep 0.2; done
node=http://$(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/sim.out" | head -1)
api=$node/api/client/v2/conferences
admin=$node/_simulator/rooms

# call NAME KIND METHOD PATH [curl args...]: one seed "<kind> <status>\n<body>"; the body also to $tmp/last.
call() {
  local name=$1 kind=$2 method=$3 path=$4
  shift 4
  local status
  status=$(curl -s -o "$tmp/last" -w '%{http_code}' -X "$method" "$api/$path" "$@")
  { printf '%s %s\n' "$kind" "$status"; cat "$tmp/last"; } >"$json/$name"
}
token() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["token"])' "$tmp/last"; }
ctl() { curl -s -o /dev/null -X POST "$admin/$1" -H 'content-type: application/json' -d "${2:-{\}}"; }

body='{"display_name":"Fuzz Seed"}'
call token.pin-challenge request_token POST meet.pin/request_token -H 'content-type: application/json' -d "$body"
call token.wrong-pin request_token POST meet.pin/request_token -H 'content-type: application/json' -H 'pin: 0000' \
  -d "$body"
call token.host-pin request_token POST meet.pin/request_token -H 'content-type: application/json' -H 'pin: 1234' \
  -d "$body"
call token.unknown-room request_token POST meet.nowhere/request_token -H 'content-type: application/json' -d "$body"
call token.locked request_token POST meet.locked/request_token -H 'content-type: application/json' -d "$body"
call token.waiting request_token POST meet.waiting/request_token -H 'content-type: application/json' -d "$body"
call token.granted request_token POST meet.open/request_token -H 'content-type: application/json' -d "$body"
tok=$(token)
me=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["participant_uuid"])' "$tmp/last")

# The event stream of meet.open while the room changes.
curl -s -N -m 12 -H "token: $tok" -H 'accept: text/event-stream' "$api/meet.open/events" >"$sse/stream.meet-open" &
reader=$!
sleep 1
uuid=$(curl -s -X POST "$admin/meet.open/participants" -H 'content-type: application/json' \
  -d '{"display_name":"Zoë Ünicode 会議","role":"guest","muted":false}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
ctl "meet.open/participants/$uuid/mute"
ctl "meet.open/participants/$uuid/present"
ctl "meet.open/participants/$uuid/stop-presenting"
ctl "meet.open/participants/$uuid/unmute"
ctl meet.open/chat '{"text":"hello \"quoted\" \\\\ back\nslash","from":"Zoë Ünicode 会議"}'
ctl meet.open/lock
ctl meet.open/unlock
ctl meet.open/refresh
ctl "meet.open/participants/$uuid/disconnect" '{"reason":"Seed over"}'
ctl "meet.open/participants/$uuid/remove"
call participants participants GET meet.open/participants -H "token: $tok"
call conference-status conference_status GET meet.open/conference_status -H "token: $tok"
call refresh refresh_token POST meet.open/refresh_token -H "token: $tok" -H 'content-length: 0'
tok=$(token)
call refresh.invalid-token refresh_token POST meet.open/refresh_token -H "token: nonsense" -H 'content-length: 0'
call participants.invalid-token participants GET meet.open/participants -H "token: nonsense"
ctl "meet.open/participants/$me/disconnect" '{"reason":"Disconnected by the seed recorder"}'
sleep 1
curl -s -o /dev/null -X POST "$api/meet.open/release_token" -H "token: $tok" -H 'content-length: 0'
wait $reader || true

# Each event of the stream as a FuzzInfinityJSON seed "<event name>\n<data>", one per event name.
python3 - "$sse/stream.meet-open" "$json" <<'PY'
import os, sys
text = open(sys.argv[1], encoding="utf-8").read().replace("\r\n", "\n")
seen = set()
for block in text.split("\n\n"):
    event, data = "message", []
    for line in block.split("\n"):
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    if data and event not in seen:
        seen.add(event)
        with open(os.path.join(sys.argv[2], f"event.{event}"), "w", encoding="utf-8") as f:
            f.write(event + "\n" + "\n".join(data))
print("events:", " ".join(sorted(seen)))
PY
# A few short streams of the parser's edge cases (CR and CRLF endings, BOM, comments, id, retry, no space).
printf '\xef\xbb\xbfevent: participant_create\r\ndata: {"uuid":"u1"}\r\nid: 7\r\nretry: 3000\r\n\r\n' >"$sse/crlf-bom"
printf ': keepalive\rdata:one\rdata:two\r\rid\x00x\revent:x\r\r' >"$sse/cr-only"
printf 'data\n\nevent: a\ndata: b\nretry: 12x\n\n: c\n\ndata: d' >"$sse/edges"
ls -la "$sse" "$json" | awk '{print $5, $9}'
du -sh corpus
