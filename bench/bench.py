#!/usr/bin/env python3
"""pexbridge benchmarks: fan-out, memory per observer, 1,000 sessions, join latency, flood, churn, the store.

Run through scripts/bench.sh (it builds the release binary and the plain-C lws broadcaster, then
calls `bench.py all`; `scripts/bench.sh flood|churn [--bin PATH]` runs one of the last two). Stdlib
only, plus fanout_probe.py from the shared bench directory (which uses uvloop when the interpreter
has it).

    bench.py all --bin PATH --c-server PATH --bench-dir DIR [--only fanout,sessions,join,flood,churn]
                 [--sizes 1000,5000,10000] [--repeat N] [--sessions 1000] [--joins 200] [--out DIR]
    bench.py flood --bin PATH [--flood-clients 50] [--flood-size 61440] [--flood-seconds 10]
                 [--ping-interval 1] [--env NAME=VALUE] [--bridge-arg ARG]
        50 connections write 60 KiB requests as fast as TCP takes them (reading what comes back) while
        one good client pings once a second: bridge RSS start/peak/after, the good client's p50/p99.
    bench.py churn --bin PATH [--churn-workers 20] [--churn-seconds 600] [--churn-sample 15]
                 [--separate-node] [--env NAME=VALUE] [--bridge-arg ARG]
        20 clients loop connect/join/subscribe/leave on an open room of `serve --simulate` (or of a
        separate `simulate` with --separate-node): RSS (and anonymous memory) every 15 s, cycles,
        errors, and the curve at the end.
    bench.py speakers --bin PATH [--speakers-sessions 100] [--speakers-observers 1000] [--speakers-rate 10]
                 [--speakers-seconds 20] [--env NAME=VALUE] [--bridge-arg ARG]
        100 sessions in one room of a separate `pexbridge simulate` whose node sends `stage` 10 times a
        second; 1,000 observers spread over the sessions, half of them subscribed with include
        ["speakers"]: delivered speakers/s per session (at most 4), that every opted-in observer's last
        list is the node's last, that the others saw none and kept a gap-free seq, bridge CPU, and the
        latency the bridge adds (stage sent by the node -> speakers at the observer, coalescing included).
    bench.py store --bin PATH [--store-only takeover,resume,fanout,cross] [--stores sqlite,postgres]
                 [--lease-seconds 10] [--store-rooms 100] [--takeover-sessions 100] [--resume-sessions 1000]
                 [--sizes 10000] [--cross-observers 100] [--cross-events 50] [--pg-option NAME=VALUE]
        Issue 13, on a PostgreSQL started here (initdb as the `postgres` user, a free port) and SQLite files, with
        one separate `pexbridge simulate` node (so killing a bridge never kills the node), sessions spread over
        its rooms bench.1 ... bench.R. takeover: instances A and B on one PostgreSQL, N sessions connected on A,
        SIGKILL A: seconds until the first and the last is connected on B (B's sessions gauge) and the node has
        N event streams again; the node's log (debug: one line per call) must show no new request_token and no
        release_token. resume: N sessions on one instance, SIGTERM (handover), the same instance started
        again: seconds until all N are connected (target 10 s), per store. fanout: the fan-out above with
        `--store` (sqlite, postgres) beside the C broadcaster and the bridge without a store, in the same run.
        cross: A and B on one PostgreSQL, a session held by A, K observers subscribed on A and K on B, stamped
        chat from the node: absolute latencies on both and what B adds (p50/p99); says so when B delivers
        nothing.
    bench.py probe --bench-dir DIR -- <fanout_probe.py arguments>   (internal: the probe, whose
                 --trigger is a JSON plan of simulator control calls instead of a WebSocket text)
    bench.py flooder ...   (internal: one flooding process)

Every figure comes from processes started here on 127.0.0.1 ports chosen by the OS, and every
process started here is stopped here. --bin takes any build, so a baseline and the current code can
be measured one after the other in the same quiet window.
"""
import argparse
import asyncio
import base64
import http.client
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlparse

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


# ------------------------------------------------------------------ processes and /proc
def proc_cpu_s(pid):
    """utime + stime of a process (all threads), seconds."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose stdout is scanned for a line; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, argv, name, log_dir, env=None):
        self.name = name
        self.err_path = os.path.join(log_dir, f"{name}.stderr.log")
        self.err = open(self.err_path, "ab")
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL, env=env)
        self.lines = []

    @property
    def pid(self):
        return self.p.pid

    def wait_for(self, pattern, timeout=30):
        """The first match of `pattern` in stdout, within `timeout` seconds."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.p.stdout.fileno()
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                break
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                self.lines.append(text)
                m = rx.search(text)
                if m:
                    # Keep draining stdout so the child never blocks on a full pipe.
                    threading.Thread(target=self._drain, daemon=True).start()
                    return m
        raise RuntimeError(f"{self.name}: no line matching {pattern!r} within {timeout}s "
                           f"(exit={self.p.poll()}; stderr in {self.err_path})")

    def _drain(self):
        try:
            while self.p.stdout.read(4096):
                pass
        except (OSError, ValueError):
            pass

    def stop(self, timeout=15):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.err.close()


def start_simulator(args, token_expiry=None, log_level="warning", name="simulator", rooms=0):
    """A separate `pexbridge simulate` node; at log level debug its log has one line per call it answered; `rooms`
    adds that many empty open rooms bench.1 ... bench.N."""
    argv = [args.bin, "simulate", "--listen", "127.0.0.1:0", "--log-level", log_level]
    if rooms:
        argv += ["--bench-rooms", str(rooms)]
    if token_expiry:
        argv += ["--token-expiry", str(token_expiry)]
    sim = Proc(argv, name, args.out)
    m = sim.wait_for(r"simulator listening on (127\.0\.0\.1:\d+)")
    sim.url = f"http://{m.group(1)}"
    return sim


def start_bridge(args, store=None, name="bridge"):
    """`pexbridge serve` for the benchmarks; `store` (a StoreSpec) adds --store and the rest."""
    argv = [args.bin, "serve", "--listen", "127.0.0.1:0", "--allow-insecure-nodes",
            "--max-connections-per-address", "20000", "--max-connections", "20000", "--request-rate", "1000"]
    env = None
    if store:
        argv += store.argv("a")
        env = store.env()
    bridge = Proc(argv, name, args.out, env=env)
    m = bridge.wait_for(r"listening on (127\.0\.0\.1):(\d+)")
    bridge.host, bridge.port = m.group(1), int(m.group(2))
    bridge.ws_url = f"ws://{bridge.host}:{bridge.port}/ws"
    return bridge


# ------------------------------------------------------------------ HTTP helpers
def http_json(method, url, body=None, headers=None, timeout=30):
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        h = {"Content-Type": "application/json"} if data is not None else {}
        h.update(headers or {})
        conn.request(method, u.path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)
    finally:
        conn.close()


def metrics(bridge):
    """The bridge's /metrics as {name{labels}: value}."""
    conn = http.client.HTTPConnection(bridge.host, bridge.port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


# ------------------------------------------------------------------ a small WebSocket client (driver)
class WSClient:
    """RFC 6455 client on asyncio streams: text frames, answers pings, reassembles fragments."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host, port, path="/ws"):
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 24)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    def _frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        k = int.from_bytes((mask * (n // 4 + 1))[:n], "big") if n else 0
        body = (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big") if n else b""
        return head + mask + body

    async def send(self, obj):
        self.writer.write(self._frame(1, json.dumps(obj).encode()))
        await self.writer.drain()

    async def recv_raw(self):
        """The next text message as bytes; ConnectionError when the server closes."""
        parts = []
        while True:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(n)
            op = b0 & 0x0F
            if op == 9:
                self.writer.write(self._frame(10, payload))
                continue
            if op == 8:
                raise ConnectionError(f"closed by server {payload[:2].hex()}")
            if op in (1, 2, 0):
                parts.append(payload)
                if b0 & 0x80:
                    return b"".join(parts)

    async def recv(self):
        return json.loads(await self.recv_raw())

    async def close(self):
        try:
            self.writer.write(self._frame(8, (1000).to_bytes(2, "big")))
            await self.writer.drain()
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (OSError, asyncio.TimeoutError, ConnectionError):
            pass


class Requester:
    """One driver connection: requests by id, results matched by id; other frames counted."""

    def __init__(self, ws):
        self.ws = ws
        self.pending = {}
        self.next_id = 0
        self.frames = 0
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        try:
            while True:
                raw = await self.ws.recv_raw()
                self.frames += 1
                if b'"type":"result"' in raw:
                    m = json.loads(raw)
                    fut = self.pending.pop(m.get("id"), None)
                    if fut and not fut.done():
                        fut.set_result(m)
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(str(e)))

    async def request(self, body, timeout=60):
        self.next_id += 1
        rid = self.next_id
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        await self.ws.send(dict(body, id=rid))
        return await asyncio.wait_for(fut, timeout)

    async def close(self):
        self.task.cancel()
        await self.ws.close()


async def driver_join(bridge, sim, alias="meet.open", name="bench-driver"):
    """Joins `alias` through the bridge; returns (session id, event frame sizes seen in a pre-flight)."""
    ws = await WSClient.connect(bridge.host, bridge.port)
    await ws.recv()  # hello
    await ws.send({"type": "join", "id": 1, "node": sim.url, "alias": alias, "display_name": name})
    session = None
    while session is None:
        m = await asyncio.wait_for(ws.recv(), 30)
        if m.get("type") == "result":
            if not m.get("ok") or m["data"]["session"]["state"] != "connected":
                raise RuntimeError(f"driver join failed: {m}")
            session = m["data"]["session"]["id"]
    await ws.close()
    return session


async def frame_sizes(bridge, sim, chat_size):
    """Pre-flight on a live session: the sizes of one bench chat event and one roster event as clients get them."""
    ws = await WSClient.connect(bridge.host, bridge.port)
    await ws.recv()
    await ws.send({"type": "subscribe", "id": 1})
    while (await asyncio.wait_for(ws.recv(), 10)).get("type") != "result":
        pass
    http_json("POST", f"{sim.url}/_simulator/rooms/meet.open/bench",
              {"count": 1, "interval_ms": 1, "burst": 1, "size": chat_size})
    name = f"t_send_ns={time.time_ns()}"
    http_json("POST", f"{sim.url}/_simulator/rooms/meet.open/participants", {"display_name": name})
    sizes, roster_hits = {}, 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # until 1 s passes without a frame
        try:
            raw = await asyncio.wait_for(ws.recv_raw(), 1)
        except asyncio.TimeoutError:
            break
        m = json.loads(raw)
        if m.get("type") == "message" and "t_send_ns=" in m.get("text", ""):
            sizes["chat"] = len(raw)
            sizes["chat_text"] = len(m["text"].encode())
        elif name.encode() in raw:
            roster_hits += 1
            sizes.setdefault("roster", len(raw))
    await ws.close()
    sizes["roster_events_per_change"] = roster_hits
    return sizes


# ------------------------------------------------------------------ the probe, with a simulator trigger
def simulator_trigger(a):
    """Replaces fanout_probe.trigger_entry: at the window's start, runs a plan of simulator calls.

    Plan (the --trigger text): {"sim": URL, "alias": A, "bench": {count, interval_ms, burst, size},
    "roster": {"count": K, "interval_ms": M, "offset_ms": O}}. Chat is stamped by the simulator when it
    emits; roster changes are stamped here just before the control call that causes them.
    """
    plan = json.loads(a.trigger)
    base = f"{plan['sim']}/_simulator/rooms/{plan.get('alias', 'meet.open')}"
    threads = []
    roster = plan.get("roster")
    if roster and roster.get("count"):
        def adds():
            t0 = time.monotonic()
            for k in range(roster["count"]):
                at = t0 + (roster.get("offset_ms", 0) + k * roster["interval_ms"]) / 1000
                time.sleep(max(0.0, at - time.monotonic()))
                http_json("POST", f"{base}/participants", {"display_name": f"t_send_ns={time.time_ns()} observer-bench"})
        threads.append(threading.Thread(target=adds, daemon=True))
        threads[-1].start()
    if plan.get("bench"):
        http_json("POST", f"{base}/bench", plan["bench"])
    time.sleep(a.timeout + 5)  # the probe kills this process once the window ends


def probe_main(argv):
    ap = argparse.ArgumentParser(prog="bench.py probe")
    ap.add_argument("--bench-dir", required=True)
    ap.add_argument("probe_args", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    sys.path.insert(0, os.path.abspath(a.bench_dir))
    import fanout_probe  # noqa: E402 - the shared measuring stick, unmodified
    rest = a.probe_args[1:] if a.probe_args[:1] == ["--"] else a.probe_args
    if "--sim-trigger" in rest:
        rest.remove("--sim-trigger")
        fanout_probe.trigger_entry = simulator_trigger
    sys.argv = ["fanout_probe.py"] + rest
    return fanout_probe.main()


def have_uvloop():
    try:
        import uvloop  # noqa: F401
        return True
    except ImportError:
        return False


def run_probe(args, url, n, server_pid, messages, trigger, sim_trigger, tag, on_open=None, timeout=60):
    out_json = os.path.join(args.out, f"probe-{tag}.json")
    argv = [sys.executable, os.path.abspath(__file__), "probe", "--bench-dir", args.bench_dir, "--",
            "--url", url, "-n", str(n), "--procs", str(args.procs), "--server-pid", str(server_pid),
            "--messages", str(messages), "--timeout", str(timeout), "--settle", "2",
            "--json-out", out_json, "--trigger", trigger]
    if sim_trigger:
        argv.append("--sim-trigger")
    if on_open:
        argv += ["--on-open", on_open]
    if have_uvloop():
        argv.append("--uvloop")
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 600)
    with open(os.path.join(args.out, f"probe-{tag}.txt"), "w") as f:
        f.write(r.stdout + r.stderr)
    if not os.path.exists(out_json):
        raise RuntimeError(f"probe {tag} failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}")
    with open(out_json) as f:
        res = json.load(f)
    os.unlink(out_json)
    res["exit"] = r.returncode
    res["wall_s"] = round(time.monotonic() - t0, 1)
    res["expected"] = messages * res["connected"]
    res["lost"] = max(0, res["expected"] - res["timed_messages"]) + (n - res["connected"]) * messages
    return res


# ------------------------------------------------------------------ 1 + 2: fan-out and memory
RATE = {"count": 10, "interval_ms": 500, "burst": 1}      # as the C broadcaster's trigger
ROSTER = {"count": 4, "interval_ms": 1000, "offset_ms": 250}
BURST = {"count": 5, "interval_ms": 500, "burst": 10}


def fanout_row(kind, n, res, frame, extra=None):
    s = res.get("server", {})
    L = res["latency_ms"]
    T = res["time_to_last_client_ms"]
    deliveries = res["timed_messages"]
    row = {
        "server": kind, "n": n, "frame_bytes": frame, "connected": res["connected"],
        "events": res["broadcasts_seen"], "p50_ms": L["p50"], "p99_ms": L["p99"], "max_ms": L["max"],
        "last_p50_ms": T["p50"], "last_max_ms": T["max"], "lost": res["lost"],
        "cpu_s": s.get("cpu_s_in_window"),
        "cpu_us_per_delivery": round(1e6 * s["cpu_s_in_window"] / deliveries, 2) if deliveries and s else None,
        "rss_mib": round(s.get("rss_kib_end", 0) / 1024, 1),
        "rss_kib_per_conn": s.get("rss_kib_per_connection"),
        "probe_cpu_pct": res["probe_cpu_pct_of_window_per_proc"], "load": loadavg(),
    }
    row.update(extra or {})
    return row


def c_frame_bytes(size):
    """Bytes of the C broadcaster's frame for `size` (see lws_broadcast_server.c): header + pad + '"}'."""
    header = len('{"type":"state","seq":1,"t_send_ns":1795400000000000000,"pad":"')
    return header + max(0, size - 80) + 2


def fanout_one(args, n, rep, stores=(None,)):
    """The C broadcaster and then the bridge at N observers; `stores`: None (no store), "sqlite", "postgres"."""
    rows = []
    # Plain-C lws broadcaster at the same N and frame size.
    port = free_port()
    c = Proc([args.c_server, str(port)], "lws_broadcast_server", args.out)
    c.wait_for(r"broadcast server pid=\d+")
    try:
        trig = json.dumps(dict(cmd="broadcast", count=RATE["count"], interval_ms=RATE["interval_ms"], size=args.c_size))
        res = run_probe(args, f"ws://127.0.0.1:{port}/", n, c.pid, RATE["count"], trig, False, f"c-{n}-{rep}")
        rows.append(fanout_row("C lws", n, res, c_frame_bytes(args.c_size), {"mode": "rate"}))
    finally:
        c.stop()
    for kind in stores:
        rows += fanout_bridge(args, n, rep, kind)
    return rows


def fanout_bridge(args, n, rep, kind=None):
    """The bridge at N observers: fresh simulator and bridge (and store) so the RSS per connection is from a fresh
    start. `kind` "sqlite" or "postgres" runs it with `--store` (every event is also written to the store)."""
    rows = []
    label = "pexbridge" if kind is None else f"pexbridge+{kind}"
    tag = "" if kind is None else f"{kind}-"
    store = StoreSpec.make(args, kind, f"fanout{n}r{rep}") if kind else None
    sim = start_simulator(args)
    bridge = None
    try:
        bridge = start_bridge(args, store=store)
        asyncio.run(driver_join(bridge, sim))
        sizes = asyncio.run(frame_sizes(bridge, sim, args.chat_size))
        if sizes.get("roster_events_per_change") != 1:
            raise RuntimeError(f"expected one event per roster change, saw {sizes}")
        m0 = metrics(bridge)
        plan = {"sim": sim.url, "bench": dict(RATE, size=args.chat_size), "roster": ROSTER}
        res = run_probe(args, bridge.ws_url, n, bridge.pid, RATE["count"] + ROSTER["count"], json.dumps(plan), True,
                        f"bridge-{tag}rate-{n}-{rep}", on_open='{"type":"subscribe","id":1}')
        m1 = metrics(bridge)
        rows.append(fanout_row(label, n, res, sizes.get("chat"), {
            "mode": "rate", "roster_frame_bytes": sizes.get("roster"),
            "dropped": m1.get("pexbridge_frames_dropped_total", 0) - m0.get("pexbridge_frames_dropped_total", 0),
            "slow_closes": m1.get("pexbridge_slow_consumer_closes_total", 0),
            "store_write_failures": m1.get("pexbridge_store_write_failures_total", 0)}))
        plan = {"sim": sim.url, "bench": dict(BURST, size=args.chat_size)}
        res = run_probe(args, bridge.ws_url, n, bridge.pid, BURST["count"] * BURST["burst"], json.dumps(plan), True,
                        f"bridge-{tag}burst-{n}-{rep}", on_open='{"type":"subscribe","id":1}')
        m2 = metrics(bridge)
        rows.append(fanout_row(label, n, res, sizes.get("chat"), {
            "mode": "burst",
            "dropped": m2.get("pexbridge_frames_dropped_total", 0) - m1.get("pexbridge_frames_dropped_total", 0),
            "slow_closes": m2.get("pexbridge_slow_consumer_closes_total", 0),
            "store_write_failures": m2.get("pexbridge_store_write_failures_total", 0)}))
    finally:
        if bridge:
            bridge.stop()
        sim.stop()
    if store:
        # What reached the store (read once the bridge has let go of it): the highest seq written.
        for r in rows:
            r["store_seq"] = store.max_seq()
        store.close()
    return rows


def median_rows(rows):
    """One row per (server, mode, n): the median of every number over the repeats."""
    groups = {}
    for r in rows:
        groups.setdefault((r["server"], r["mode"], r["n"]), []).append(r)
    out = []
    for key, rs in groups.items():
        m = dict(rs[0])
        for k, v in rs[0].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                vals = [r[k] for r in rs if isinstance(r.get(k), (int, float))]
                m[k] = statistics.median(vals) if vals else v
        m["lost"] = sum(r["lost"] for r in rs)  # losses are summed, never hidden by a median
        m["runs"] = len(rs)
        m["load"] = " | ".join(r["load"] for r in rs)
        out.append(m)
    return out


# ------------------------------------------------------------------ 3: sessions
async def sessions_bench(args, token_expiry):
    sim = start_simulator(args, token_expiry=token_expiry)
    bridge = start_bridge(args)
    try:
        rss_fresh = proc_rss_kib(bridge.pid)
        ws = await WSClient.connect(bridge.host, bridge.port)
        await ws.recv()
        req = Requester(ws)
        sem = asyncio.Semaphore(args.join_concurrency)
        ok = [0]
        failures = {}

        async def one(i):
            async with sem:
                r = await req.request({"type": "join", "node": sim.url, "alias": "meet.open",
                                       "display_name": f"bench-session-{i:04d}"}, timeout=120)
                if r.get("ok") and r["data"]["session"]["state"] == "connected":
                    ok[0] += 1
                else:
                    code = (r.get("error") or {}).get("code", "not_connected")
                    failures[code] = failures.get(code, 0) + 1

        t0 = time.monotonic()
        cpu_a = proc_cpu_s(bridge.pid)
        await asyncio.gather(*(one(i) for i in range(args.sessions)))
        # Every join adds a participant to the one room, so every session sees every later join: about
        # N^2/2 roster events. Wait until they have all reached the driver (no frame for 3 s).
        deadline = time.monotonic() + 300
        last = -1
        while time.monotonic() < deadline and req.frames != last:
            last = req.frames
            await asyncio.sleep(3)
        setup_s = time.monotonic() - t0
        setup_cpu = proc_cpu_s(bridge.pid) - cpu_a
        await asyncio.sleep(args.settle)
        m0 = metrics(bridge)
        f0 = req.frames
        c0, w0 = proc_cpu_s(bridge.pid), time.monotonic()
        samples = []
        while time.monotonic() - w0 < args.window:
            await asyncio.sleep(1)
            samples.append(proc_rss_kib(bridge.pid))
        c1, w1 = proc_cpu_s(bridge.pid), time.monotonic()
        m1 = metrics(bridge)
        key = 'pexbridge_upstream_requests_total{endpoint="refresh_token",outcome="ok"}'
        refreshes = m1.get(key, 0) - m0.get(key, 0)
        refresh_fail = sum(v for k, v in m1.items() if k.startswith("pexbridge_upstream_requests_total")
                           and 'endpoint="refresh_token"' in k and 'outcome="ok"' not in k)
        connected = m1.get('pexbridge_sessions{state="connected"}', 0)
        _, rooms = http_json("GET", f"{sim.url}/_simulator/rooms")
        room = next(r for r in rooms["rooms"] if r["alias"] == "meet.open")
        driver_alive = not req.task.done()
        rss = statistics.median(samples)
        await req.close()
        return {
            "sessions": args.sessions, "joined_ok": ok[0], "join_failures": failures,
            "setup_s": round(setup_s, 1), "setup_cpu_s": round(setup_cpu, 1),
            "token_expiry_s": token_expiry, "window_s": round(w1 - w0, 1),
            "cpu_pct_one_core": round(100 * (c1 - c0) / (w1 - w0), 2),
            "refreshes_per_s": round(refreshes / (w1 - w0), 1),
            "cpu_ms_per_refresh": round(1000 * (c1 - c0) / refreshes, 3) if refreshes else None,
            "refresh_failures": refresh_fail, "events_in_window": req.frames - f0,
            "rss_mib_fresh": round(rss_fresh / 1024, 1), "rss_mib": round(rss / 1024, 1),
            "rss_kib_per_session": round((rss - rss_fresh) / max(1, args.sessions), 1),
            "connected_at_end": int(connected), "node_live_tokens": room["live_tokens"],
            "node_open_streams": room["open_event_streams"], "roster_per_session": len(room["participants"]),
            "driver_frames": req.frames, "driver_still_connected": driver_alive, "load": loadavg(),
        }
    finally:
        bridge.stop()
        sim.stop()


# ------------------------------------------------------------------ 4: join latency
def pct(vals, q):
    s = sorted(vals)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


async def join_bench(args):
    sim = start_simulator(args)
    bridge = start_bridge(args)
    try:
        ws = await WSClient.connect(bridge.host, bridge.port)
        await ws.recv()
        req = Requester(ws)
        u = urlparse(sim.url)
        node = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        base = "/api/client/v2/conferences/meet.open"
        direct, joins = [], []
        m0 = metrics(bridge)
        for i in range(args.joins + 5):  # the first 5 warm both paths up and are not counted
            # The node's own time, with a keep-alive client like the bridge's.
            t = time.perf_counter_ns()
            node.request("POST", f"{base}/request_token", body=json.dumps({"display_name": f"direct-{i}"}),
                         headers={"Content-Type": "application/json"})
            r = node.getresponse()
            body = json.loads(r.read())
            d = time.perf_counter_ns() - t
            token = body["result"]["token"]
            node.request("POST", f"{base}/release_token", body=b"", headers={"token": token})
            node.getresponse().read()
            # join -> connected as the client sees it.
            t = time.perf_counter_ns()
            res = await req.request({"type": "join", "node": sim.url, "alias": "meet.open",
                                     "display_name": f"join-{i}"})
            j = time.perf_counter_ns() - t
            if not (res.get("ok") and res["data"]["session"]["state"] == "connected"):
                raise RuntimeError(f"join failed: {res}")
            await req.request({"type": "leave", "session": res["data"]["session"]["id"]})
            if i >= 5:
                direct.append(d / 1e6)
                joins.append(j / 1e6)
        m1 = metrics(bridge)
        node.close()
        await req.close()
        k_sum = 'pexbridge_upstream_request_duration_seconds_sum{endpoint="request_token"}'
        k_cnt = 'pexbridge_upstream_request_duration_seconds_count{endpoint="request_token"}'
        upstream_mean = 1000 * (m1[k_sum] - m0.get(k_sum, 0)) / max(1, m1[k_cnt] - m0.get(k_cnt, 0))
        return {
            "joins": len(joins),
            "join_p50_ms": round(pct(joins, .5), 3), "join_p99_ms": round(pct(joins, .99), 3),
            "node_p50_ms": round(pct(direct, .5), 3), "node_p99_ms": round(pct(direct, .99), 3),
            "overhead_p50_ms": round(pct(joins, .5) - pct(direct, .5), 3),
            "overhead_p99_ms": round(pct(joins, .99) - pct(direct, .99), 3),
            "join_mean_ms": round(statistics.mean(joins), 3),
            "bridge_upstream_mean_ms": round(upstream_mean, 3),
            "overhead_vs_bridge_upstream_mean_ms": round(statistics.mean(joins) - upstream_mean, 3),
            "load": loadavg(),
        }
    finally:
        bridge.stop()
        sim.stop()


# ------------------------------------------------------------------ 5: flood (bounded intake)
def proc_smaps_kib(pid):
    """Rss / Anonymous / Private_Dirty of a process from /proc/PID/smaps_rollup (KiB), {} when unreadable."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Anonymous", "Private_Dirty"):
                    out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def bridge_argv(args, extra):
    """`pexbridge serve` on a free loopback port, quiet, plus `extra` and every --bridge-arg."""
    return [args.bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "warning"] + extra + list(args.bridge_arg)


def child_env(args):
    """The environment for the bridge: ours plus every --env NAME=VALUE (e.g. MALLOC_ARENA_MAX=2)."""
    env = dict(os.environ)
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--env wants NAME=VALUE, not {item!r}")
        env[name] = value
    return env


def flood_frame(size):
    """One masked text frame of exactly `size` payload bytes: a ping request padded with 'x'."""
    head = b'{"type":"ping","id":1,"pad":"'
    payload = head + b"x" * max(0, size - len(head) - 2) + b'"}'
    mask = os.urandom(4)
    n = len(payload)
    k = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    body = (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")
    if n < 126:
        hdr = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return hdr + mask + body


def flooder_main(argv):
    """Internal: C connections that write one pre-masked frame over and over, as fast as TCP takes it, and read
    (and count) whatever comes back, for T seconds after all are connected. One JSON line of totals at the end."""
    ap = argparse.ArgumentParser(prog="bench.py flooder")
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-c", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    a = ap.parse_args(argv)
    import selectors
    frame = memoryview(flood_frame(a.size))
    stats = {"connected": 0, "refused": 0, "frames_sent": 0, "bytes_sent": 0, "frames_back": 0,
             "closed_by_bridge": 0, "reset": 0}
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(a.c):
        try:
            s = socket.create_connection((a.host, a.port), timeout=10)
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall((f"GET /ws HTTP/1.1\r\nHost: {a.host}:{a.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    raise ConnectionError("closed during the handshake")
                head += chunk
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        except OSError:
            stats["refused"] += 1
            continue
        s.setblocking(False)
        c = {"sock": s, "off": 0, "buf": bytearray(head.split(b"\r\n\r\n", 1)[1]), "open": True}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    stats["connected"] = len(conns)
    print("flooding", flush=True)
    deadline = time.monotonic() + a.seconds
    n = len(frame)

    def parse(c):
        buf = c["buf"]
        while len(buf) >= 2:
            ln = buf[1] & 0x7F
            hl = 2 + (2 if ln == 126 else 8 if ln == 127 else 0)
            if len(buf) < hl:
                return
            if ln == 126:
                ln = struct.unpack_from("!H", buf, 2)[0]
            elif ln == 127:
                ln = struct.unpack_from("!Q", buf, 2)[0]
            if len(buf) < hl + ln:
                return
            op = buf[0] & 0x0F
            if op == 1:
                stats["frames_back"] += 1
            elif op == 8:
                stats["closed_by_bridge"] += 1
                c["open"] = False
            del buf[:hl + ln]

    def drop(c, why):
        if c["open"]:
            stats[why] += 1
        c["open"] = False
        try:
            sel.unregister(c["sock"])
        except (KeyError, ValueError):
            pass
        c["sock"].close()

    while conns and time.monotonic() < deadline:
        for key, events in sel.select(timeout=0.2):
            c = key.data
            try:
                if events & selectors.EVENT_READ:
                    data = c["sock"].recv(1 << 16)
                    if not data:
                        drop(c, "closed_by_bridge")
                        continue
                    c["buf"] += data
                    parse(c)
                    if not c["open"]:
                        drop(c, "closed_by_bridge")
                        continue
                if events & selectors.EVENT_WRITE:
                    while True:
                        sent = c["sock"].send(frame[c["off"]:])
                        stats["bytes_sent"] += sent
                        c["off"] += sent
                        if c["off"] < n:
                            break
                        c["off"] = 0
                        stats["frames_sent"] += 1
            except BlockingIOError:
                pass
            except OSError:
                drop(c, "reset")
    for c in conns:
        if c["open"]:
            c["sock"].close()
    print(json.dumps(stats), flush=True)
    return 0


async def speakers_observer(host, port, session, include):
    """One observer of one session: counts speakers events, keeps the last list and each arrival's latency."""
    ws = await WSClient.connect(host, port)
    await ws.recv()  # hello
    body = {"type": "subscribe", "id": 1, "session": session}
    if include:
        body["include"] = ["speakers"]
    await ws.send(body)
    state = {"speakers": 0, "last": None, "latencies_ms": [], "seqs": [], "other": 0, "ws": ws, "subscribed": False,
             "arrivals": []}

    async def read():
        try:
            while True:
                raw = await ws.recv_raw()
                now_ns = time.time_ns()
                if b'"type":"speakers"' in raw:
                    m = json.loads(raw)
                    state["speakers"] += 1
                    state["arrivals"].append(time.monotonic())
                    state["last"] = m["participants"]
                    if "seq" in m:
                        state["other"] += 1
                    for p in m["participants"]:
                        if p.startswith("t_send_ns="):
                            sent = int(p[len("t_send_ns="):].split("-")[0])
                            state["latencies_ms"].append((now_ns - sent) / 1e6)
                elif b'"type":"result"' in raw:
                    state["subscribed"] = True
                elif b'"seq"' in raw:
                    state["seqs"].append(json.loads(raw)["seq"])
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
    state["task"] = asyncio.get_running_loop().create_task(read())
    return state


async def speakers_bench_async(args, bridge, sim):
    alias = args.alias
    # Three people on stage so the room looks real (the stamped stage reports name their own speaker).
    for name in ("Ann Stage", "Ben Stage", "Cat Stage"):
        http_json("POST", f"{sim.url}/_simulator/rooms/{alias}/participants", {"display_name": name})
    sessions = []
    for i in range(args.speakers_sessions):
        sessions.append(await driver_join(bridge, sim, alias=alias, name=f"speakers-{i}"))
    observers = []
    for k in range(args.speakers_observers):
        observers.append(await speakers_observer(bridge.host, bridge.port, sessions[k % len(sessions)], k % 2 == 0))
    deadline = time.monotonic() + 60
    while not all(o["subscribed"] for o in observers) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # the joins' roster events settle
    cpu0, t0 = proc_cpu_s(bridge.pid), time.monotonic()
    http_json("POST", f"{sim.url}/_simulator/rooms/{alias}/stage",
              {"rate": args.speakers_rate, "seconds": int(args.speakers_seconds), "stamped": True})
    await asyncio.sleep(args.speakers_seconds)
    cpu1, t1 = proc_cpu_s(bridge.pid), time.monotonic()
    await asyncio.sleep(2)  # the last trailing sends (250 ms after the last report) arrive
    opted = [o for i, o in enumerate(observers) if i % 2 == 0]
    plain = [o for i, o in enumerate(observers) if i % 2 == 1]
    latest = max((o["last"][0] for o in opted if o["last"]), default=None,
                 key=lambda p: int(p[len("t_send_ns="):].split("-")[1]))
    lat = sorted(x for o in opted for x in o["latencies_ms"])
    per_session_rate = [sum(1 for a in o["arrivals"] if t0 <= a <= t1) / (t1 - t0) for o in opted]

    def busiest_second(arrivals):
        """The most speakers events in any 1 s window (the contract's bound is 4)."""
        best, j = 0, 0
        for i, a in enumerate(arrivals):
            while arrivals[j] <= a - 1.0:
                j += 1
            best = max(best, i - j + 1)
        return best
    busiest = max((busiest_second(o["arrivals"]) for o in opted), default=0)
    gap_free = all(o["seqs"] == list(range(o["seqs"][0], o["seqs"][0] + len(o["seqs"]))) for o in plain if o["seqs"])
    for o in observers:
        o["task"].cancel()
        await o["ws"].close()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 1) if lat else None
    return {
        "sessions": len(sessions), "observers": len(observers), "opted_in": len(opted),
        "stage_rate": args.speakers_rate, "seconds": round(t1 - t0, 1),
        "speakers_per_s_per_session_mean": round(statistics.mean(per_session_rate), 2) if per_session_rate else 0,
        "speakers_per_s_per_session_max": round(max(per_session_rate), 2) if per_session_rate else 0,
        "busiest_1s_window": busiest,
        "latest_list_everywhere": bool(latest) and all(o["last"] == [latest] for o in opted),
        "not_opted_in_saw_speakers": sum(o["speakers"] for o in plain),
        "speakers_with_seq": sum(o["other"] for o in observers),
        "plain_seq_gap_free": gap_free,
        "bridge_cpu_pct_one_core": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        "latency_p50_ms": pct(50), "latency_p99_ms": pct(99), "latency_max_ms": round(lat[-1], 1) if lat else None,
    }


def speakers_bench(args):
    """Speakers: N sessions, stage at R/s, observers half opted in (see the module docstring)."""
    sim = start_simulator(args)
    bridge = Proc(bridge_argv(args, ["--allow-insecure-nodes", "--max-connections-per-address", "20000",
                                     "--max-connections", "20000", "--request-rate", "1000"]),
                  "bridge-speakers", args.out, env=child_env(args))
    try:
        m = bridge.wait_for(r"listening on (127\.0\.0\.1):(\d+)")
        bridge.host, bridge.port = m.group(1), int(m.group(2))
        return asyncio.run(speakers_bench_async(args, bridge, sim))
    finally:
        bridge.stop()
        sim.stop()


def print_speakers(r):
    table(f"Speakers: {r['sessions']} sessions, stage {r['stage_rate']}/s for {r['seconds']} s, {r['observers']}"
          f" observers ({r['opted_in']} with include speakers)",
          [("per s/session mean", "speakers_per_s_per_session_mean"), ("max", "speakers_per_s_per_session_max"),
           ("busiest 1 s", "busiest_1s_window"), ("latest everywhere", "latest_list_everywhere"), ("others saw", "not_opted_in_saw_speakers"),
           ("with seq", "speakers_with_seq"), ("seq gap-free", "plain_seq_gap_free"),
           ("bridge CPU %", "bridge_cpu_pct_one_core"), ("added p50 ms", "latency_p50_ms"),
           ("p99 ms", "latency_p99_ms"), ("max ms", "latency_max_ms")], [r])
    print("   added latency = node's stage -> speakers at the observer; the gate (at most 4/s) holds a report up"
          " to 260 ms by design.")


def flood_bench(args):
    """50 flooders send 60 KiB requests as fast as they can while one good client pings once a second."""
    bridge = Proc(bridge_argv(args, []), "bridge-flood", args.out, env=child_env(args))
    try:
        m = bridge.wait_for(r"listening on (127\.0\.0\.1):(\d+)")
        host, port = m.group(1), int(m.group(2))
        rss_start = proc_rss_kib(bridge.pid)
        peak = [rss_start]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                r = proc_rss_kib(bridge.pid)
                if r > 0:
                    peak[0] = max(peak[0], r)
                time.sleep(0.05)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        # The flooders, spread over processes so that Python's own CPU is not one core's worth.
        n, k = args.flood_clients, args.procs
        per = [n // k + (1 if i < n % k else 0) for i in range(k)]
        floods = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "flooder", "--host", host,
                                    "--port", str(port), "-c", str(c), "--size", str(args.flood_size),
                                    "--seconds", str(args.flood_seconds)],
                                   stdout=subprocess.PIPE, text=True) for c in per if c]

        async def good():
            ws = await WSClient.connect(host, port)
            await ws.recv()  # hello
            req = Requester(ws)
            for f in floods:  # the window opens when every flooder is connected
                await asyncio.get_running_loop().run_in_executor(None, f.stdout.readline)
            rtts, lost = [], 0
            t0 = time.monotonic()
            tick = 0
            while time.monotonic() - t0 < args.flood_seconds:
                t = time.perf_counter()
                try:
                    r = await req.request({"type": "ping"}, timeout=args.ping_timeout)
                    if r.get("ok"):
                        rtts.append((time.perf_counter() - t) * 1000)
                    else:
                        lost += 1
                except (asyncio.TimeoutError, ConnectionError):
                    lost += 1
                tick += 1
                await asyncio.sleep(max(0.0, t0 + tick * args.ping_interval - time.monotonic()))
            alive = not req.task.done()
            await req.close()
            return rtts, lost, alive

        rtts, lost, good_alive = asyncio.run(good())
        totals = {}
        for f in floods:
            out, _ = f.communicate(timeout=args.flood_seconds + 60)
            for k, v in json.loads(out.strip().splitlines()[-1]).items():
                totals[k] = totals.get(k, 0) + v
        time.sleep(2)
        sampling.set()
        sampler.join()
        rss_after = proc_rss_kib(bridge.pid)
        alive = bridge.p.poll() is None
        res = {
            "clients": args.flood_clients, "frame_bytes": args.flood_size, "seconds": args.flood_seconds,
            "ping_interval": args.ping_interval,
            "flooders_connected": totals.get("connected", 0), "flooders_refused": totals.get("refused", 0),
            "frames_sent": totals.get("frames_sent", 0),
            "mb_per_s": round(totals.get("bytes_sent", 0) / args.flood_seconds / 1e6, 1),
            "answers_back": totals.get("frames_back", 0), "flooders_closed": totals.get("closed_by_bridge", 0),
            "flooders_reset": totals.get("reset", 0),
            "pings": len(rtts) + lost, "pings_lost": lost, "good_client_still_connected": good_alive,
            "rtt_p50_ms": round(pct(rtts, .5), 2) if rtts else None,
            "rtt_p99_ms": round(pct(rtts, .99), 2) if rtts else None,
            "rtt_max_ms": round(max(rtts), 2) if rtts else None, "rtts_ms": [round(x, 2) for x in rtts],
            "rss_mib_start": round(rss_start / 1024, 1), "rss_mib_peak": round(peak[0] / 1024, 1),
            "rss_mib_after": round(rss_after / 1024, 1) if rss_after > 0 else None,
            "bridge_alive": alive, "load": loadavg(), "bin": args.bin,
        }
        return res
    finally:
        bridge.stop()


def print_flood(r):
    print(f"\n5. Flood: {r['clients']} clients send {r['frame_bytes']} B requests as fast as they can for "
          f"{r['seconds']:.0f} s; one good client pings every {r.get('ping_interval', 1):g} s")
    print(f"   flooders: {r['flooders_connected']} connected ({r['flooders_refused']} refused), "
          f"{r['frames_sent']} frames "
          f"({r['mb_per_s']} MB/s), {r['answers_back']} answers back, {r['flooders_closed']} closed by the bridge, "
          f"{r['flooders_reset']} reset")
    print(f"   good client: {r['pings']} pings, {r['pings_lost']} lost; round trip p50 {fmt(r['rtt_p50_ms'])} ms, "
          f"p99 {fmt(r['rtt_p99_ms'])} ms, max {fmt(r['rtt_max_ms'])} ms (target p99 < 50 ms: "
          f"{'met' if r['rtt_p99_ms'] is not None and r['rtt_p99_ms'] < 50 and not r['pings_lost'] else 'MISSED'})")
    print(f"   bridge RSS: start {r['rss_mib_start']} MiB, peak {r['rss_mib_peak']} MiB, 2 s after "
          f"{fmt(r['rss_mib_after'])} MiB; alive {r['bridge_alive']}; load {r['load']}")


# ------------------------------------------------------------------ 6: churn (memory over time)
async def churn_worker(host, port, node, alias, stop, stats):
    """Loop: connect, join an open room, wait for the result, subscribe, leave, wait for the result, close."""
    while not stop.is_set():
        ws = None
        try:
            ws = await WSClient.connect(host, port)
            await asyncio.wait_for(ws.recv(), 20)  # hello
            await ws.send({"type": "join", "id": 1, "node": node, "alias": alias, "display_name": "churn"})
            while True:
                m = await asyncio.wait_for(ws.recv(), 20)
                if m.get("type") == "result" and m.get("id") == 1:
                    if not m.get("ok"):
                        raise RuntimeError(f"join refused: {(m.get('error') or {}).get('code')}")
                    sid = m["data"]["session"]["id"]
                    break
            await ws.send({"type": "subscribe", "id": 2})
            await ws.send({"type": "leave", "id": 3, "session": sid})
            while True:
                m = await asyncio.wait_for(ws.recv(), 20)
                if m.get("type") == "result" and m.get("id") in (2, 3) and not m.get("ok"):
                    raise RuntimeError(f"request {m['id']} refused: {(m.get('error') or {}).get('code')}")
                if m.get("type") == "result" and m.get("id") == 3:
                    break
            stats["cycles"] += 1
        except Exception as e:  # noqa: BLE001 - every failure is counted and shown
            stats["errors"] += 1
            stats["last_error"] = repr(e)[:160]
            await asyncio.sleep(0.2)
        finally:
            if ws:
                await ws.close()


def churn_bench(args):
    """W workers join, subscribe and leave an open room for T seconds; RSS every --sample seconds."""
    sim = None
    if args.separate_node:
        sim = start_simulator(args)
        bridge = Proc(bridge_argv(args, ["--allow-insecure-nodes", "--request-rate", "1000"]), "bridge-churn",
                      args.out, env=child_env(args))
        node = sim.url
    else:  # as the measurement before: the embedded simulator, no scripted activity
        bridge = Proc(bridge_argv(args, ["--simulate", "--no-demo-activity", "--request-rate", "1000"]),
                      "bridge-churn", args.out, env=child_env(args))
        node = "simulator"
    try:
        m = bridge.wait_for(r"listening on (127\.0\.0\.1):(\d+)")
        host, port = m.group(1), int(m.group(2))
        samples = []

        def sample(t, stats):
            sm = proc_smaps_kib(bridge.pid)
            row = {"t_s": round(t), "cycles": stats["cycles"], "errors": stats["errors"],
                   "rss_mib": round(proc_rss_kib(bridge.pid) / 1024, 1),
                   "anon_mib": round(sm.get("Anonymous", 0) / 1024, 1)}
            if sim:
                row["node_rss_mib"] = round(proc_rss_kib(sim.pid) / 1024, 1)
            samples.append(row)
            node_txt = f" node_rss={row['node_rss_mib']} MiB" if sim else ""
            print(f"  t={row['t_s']:>4}s rss={row['rss_mib']} MiB anon={row['anon_mib']} MiB{node_txt} "
                  f"cycles={row['cycles']} errors={row['errors']}", flush=True)

        async def run():
            stop = asyncio.Event()
            stats = {"cycles": 0, "errors": 0, "last_error": ""}
            sample(0, stats)
            tasks = [asyncio.create_task(churn_worker(host, port, node, args.alias, stop, stats))
                     for _ in range(args.churn_workers)]
            t0 = time.monotonic()
            k = 0
            while time.monotonic() - t0 < args.churn_seconds:
                k += 1
                next_at = min(t0 + k * args.churn_sample, t0 + args.churn_seconds)
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                sample(time.monotonic() - t0, stats)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Idle after the churn: memory held until timers run out (or by the allocator) shows here.
            t1 = time.monotonic()
            k = 0
            while time.monotonic() - t1 < args.churn_linger:
                k += 1
                next_at = min(t1 + k * args.churn_sample, t1 + args.churn_linger)
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                sample(time.monotonic() - t0, stats)
            return stats

        stats = asyncio.run(run())
        time.sleep(2)
        rss_idle = proc_rss_kib(bridge.pid)
        alive = bridge.p.poll() is None
        busy = [x for x in samples if x["t_s"] <= args.churn_seconds + 1]
        third = busy[len(busy) * 2 // 3] if len(busy) >= 3 else busy[0]
        last = busy[-1]
        dc = last["cycles"] - third["cycles"]
        return {
            "workers": args.churn_workers, "seconds": args.churn_seconds, "cycles": stats["cycles"],
            "errors": stats["errors"],
            "last_error": stats["last_error"], "cycles_per_s": round(stats["cycles"] / args.churn_seconds, 1),
            "rss_mib_first": samples[0]["rss_mib"], "rss_mib_last": last["rss_mib"],
            "rss_mib_max": max(s["rss_mib"] for s in samples), "rss_mib_idle_after": round(rss_idle / 1024, 1),
            "linger_s": args.churn_linger,
            # Flatness: growth over the last third of the run, per 10,000 cycles.
            "tail_mib_per_10k_cycles": round((last["rss_mib"] - third["rss_mib"]) * 10000 / dc, 2) if dc else None,
            "separate_node": bool(sim), "env": list(args.env), "bridge_alive": alive, "samples": samples,
            "load": loadavg(), "bin": args.bin,
        }
    finally:
        bridge.stop()
        if sim:
            sim.stop()


def print_churn(r):
    where = "a separate simulator" if r["separate_node"] else "the embedded simulator (serve --simulate)"
    env = f", env {' '.join(r['env'])}" if r["env"] else ""
    print(f"\n6. Churn: {r['workers']} clients join, subscribe and leave an open room on {where} for "
          f"{r['seconds']:.0f} s{env}")
    peak = max(r["rss_mib_max"], 1)
    for s in r["samples"]:
        bar = "#" * max(1, round(40 * s["rss_mib"] / peak))
        node = f" node {s['node_rss_mib']:6.1f}" if "node_rss_mib" in s else ""
        idle = " idle" if s["t_s"] > r["seconds"] + 1 else ""
        print(f"   t={s['t_s']:>5}s{idle} cycles={s['cycles']:>8} RSS {s['rss_mib']:6.1f} MiB"
              f" anon {s['anon_mib']:6.1f}"
              f"{node} {bar}")
    print(f"   {r['cycles']} cycles ({r['cycles_per_s']}/s), {r['errors']} errors"
          f"{' (last: ' + r['last_error'] + ')' if r['errors'] else ''}; RSS {r['rss_mib_first']} -> "
          f"{r['rss_mib_last']} MiB (max {r['rss_mib_max']}, {r['rss_mib_idle_after']} idle "
          f"{r['linger_s'] + 2:g} s after); "
          f"last third: {fmt(r['tail_mib_per_10k_cycles'])} MiB per 10,000 cycles; alive {r['bridge_alive']}")


# ------------------------------------------------------------------ 7: a store (issue 13)
class Postgres:
    """A throwaway PostgreSQL from Debian's packages, as Tests/TestSupport/PostgresServer.swift starts one: initdb
    into a temporary directory (as the `postgres` user when we are root: initdb refuses root), pg_ctl on a free
    loopback port, user `pexbridge` with a random password. One per benchmark run; every database is made here."""

    current = None

    def __init__(self, out, options):
        roots = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int, reverse=True) \
            if os.path.isdir("/usr/lib/postgresql") else []
        bins = [f"/usr/lib/postgresql/{v}/bin" for v in roots if os.path.exists(f"/usr/lib/postgresql/{v}/bin/initdb")]
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bin = bins[0]
        self.dir = tempfile.mkdtemp(prefix="pexbridge-bench-pg-")
        self.password = base64.b32encode(os.urandom(15)).decode().lower()
        self.as_root = os.getuid() == 0
        if self.as_root:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        pwfile = os.path.join(self.dir, "password")
        with open(pwfile, "w") as f:
            f.write(self.password)
        os.chmod(pwfile, 0o600)
        if self.as_root:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._run(["initdb", "-D", f"{self.dir}/data", "-U", "pexbridge", f"--pwfile={pwfile}",
                   "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"])
        self.options = ["-c max_connections=300"] + [f"-c {o}" for o in options]
        self.port = free_port()
        self._run(["pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-t", "60", "-o",
                   f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 " + " ".join(self.options), "start"])
        self.version = self.bin.split("/")[-2]
        self.databases = 0

    def _run(self, argv):
        argv = [f"{self.bin}/{argv[0]}"] + argv[1:]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {r.stdout}{r.stderr}")

    def psql(self, sql, database="postgres"):
        """Rows of one statement, each a list of text fields."""
        env = dict(os.environ, PGPASSWORD=self.password)
        r = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "pexbridge",
                            "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t", "-c", sql],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def create_database(self, tag):
        self.databases += 1
        name = re.sub(r"[^a-z0-9_]", "_", f"bench_{tag}_{self.databases}".lower())
        self.psql(f"CREATE DATABASE {name}")
        return name

    def url(self, database):
        return f"postgres://pexbridge@127.0.0.1:{self.port}/{database}"

    @classmethod
    def get(cls, args):
        if cls.current is None:
            cls.current = Postgres(args.out, args.pg_option)
        return cls.current

    @classmethod
    def stop_all(cls):
        pg, cls.current = cls.current, None
        if pg:
            try:
                pg._run(["pg_ctl", "-D", f"{pg.dir}/data", "-m", "immediate", "stop"])
            except RuntimeError:
                pass
            shutil.rmtree(pg.dir, ignore_errors=True)


class StoreSpec:
    """One store for one measurement: `sqlite:PATH` in a fresh directory, or a fresh database on the run's
    PostgreSQL; a fresh 32-byte key. `argv(instance)` is what `serve` gets; `query` reads the store directly (a
    SQLite store only once its bridge has stopped: the bridge holds the file's lock)."""

    def __init__(self, args, kind, tag):
        self.args, self.kind = args, kind
        self.dir = tempfile.mkdtemp(prefix=f"pexbridge-bench-{kind}-")
        self.key = os.path.join(self.dir, "store.key")
        with open(self.key, "wb") as f:
            f.write(os.urandom(32))
        self.password = None
        if kind == "sqlite":
            self.path = os.path.join(self.dir, "sessions.sqlite")
            self.url = f"sqlite:{self.path}"
        elif kind == "postgres":
            self.pg = Postgres.get(args)
            self.database = self.pg.create_database(tag)
            self.url = self.pg.url(self.database)
            self.password = self.pg.password
        else:
            raise SystemExit(f"unknown store {kind!r} (sqlite or postgres)")

    @staticmethod
    def make(args, kind, tag):
        return StoreSpec(args, kind, tag)

    def argv(self, instance):
        return ["--store", self.url, "--store-key-file", self.key, "--instance", instance,
                "--lease-seconds", str(self.args.lease_seconds)]

    def env(self):
        env = child_env(self.args)
        if self.password:
            env["PEXBRIDGE_STORE_PASSWORD"] = self.password
        return env

    def query(self, sql):
        if self.kind == "postgres":
            return self.pg.psql(sql, self.database)
        import sqlite3
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return [[str(v) for v in row] for row in db.execute(sql).fetchall()]
        finally:
            db.close()

    def resumable(self):
        """Sessions in the store with a snapshot and a token (what a takeover can resume)."""
        rows = self.query("SELECT count(*) FROM pexbridge_sessions WHERE snapshot IS NOT NULL"
                          " AND token_cipher IS NOT NULL")
        return int(rows[0][0])

    def max_seq(self):
        try:
            rows = self.query("SELECT coalesce(max(seq), 0) FROM pexbridge_sessions")
            return int(rows[0][0])
        except Exception:  # noqa: BLE001 - a figure, not a check
            return None

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def start_store_bridge(args, store, instance, name, log_level="info"):
    argv = bridge_argv(args, ["--allow-insecure-nodes", "--max-connections-per-address", "20000",
                              "--max-connections", "20000", "--request-rate", "1000", "--max-sessions", "20000",
                              "--max-sessions-per-client", "20000", "--max-sessions-per-conference", "20000"]
                       + store.argv(instance))
    argv[argv.index("--log-level") + 1] = log_level
    bridge = Proc(argv, name, args.out, env=store.env())
    m = bridge.wait_for(r"listening on (127\.0\.0\.1):(\d+)", timeout=120)
    bridge.host, bridge.port = m.group(1), int(m.group(2))
    bridge.ws_url = f"ws://{bridge.host}:{bridge.port}/ws"
    return bridge


def node_calls(sim, endpoint):
    """Calls to `endpoint` the simulator answered so far (its debug log has one `answered` line per call)."""
    n = 0
    sim.err.flush()
    with open(sim.err_path, "rb") as f:
        needle = f"endpoint={endpoint} ".encode()
        for line in f:
            if b"answered" in line and needle in line + b" ":
                n += 1
    return n


def node_room(sim, alias="meet.open"):
    _, rooms = http_json("GET", f"{sim.url}/_simulator/rooms")
    return next(r for r in rooms["rooms"] if r["alias"] == alias)


def store_aliases(args):
    """Where the store benchmarks' sessions go: round robin over bench.1 ... bench.R, or meet.open alone (R = 0:
    every session sees every other join, ~N^2/2 roster events and N-participant snapshots)."""
    return [f"bench.{i + 1}" for i in range(args.store_rooms)] or ["meet.open"]


def connected_gauge(bridge):
    """Sessions this process holds in state connected (what its own `list` shows of itself); None when down."""
    try:
        return int(metrics(bridge).get('pexbridge_sessions{state="connected"}', 0))
    except OSError:
        return None


async def join_many(bridge, sim, count, prefix, concurrency, aliases=("meet.open",)):
    """`count` sessions joined round robin to `aliases` through one driver connection; returns their ids."""
    ws = await WSClient.connect(bridge.host, bridge.port)
    await ws.recv()
    req = Requester(ws)
    sem = asyncio.Semaphore(concurrency)
    ids, failures = [], {}

    async def one(i):
        async with sem:
            r = await req.request({"type": "join", "node": sim.url, "alias": aliases[i % len(aliases)],
                                   "display_name": f"{prefix}-{i:04d}"}, timeout=120)
            if r.get("ok") and r["data"]["session"]["state"] == "connected":
                ids.append(r["data"]["session"]["id"])
            else:
                code = (r.get("error") or {}).get("code", "not_connected")
                failures[code] = failures.get(code, 0) + 1

    await asyncio.gather(*(one(i) for i in range(count)))
    await req.close()
    if failures:
        raise RuntimeError(f"joins failed: {failures}")
    return ids


def wait_idle(pid, quiet_cpu_s=0.05, window=2.0, timeout=600):
    """Until the process used less than `quiet_cpu_s` of CPU over `window` seconds (the joins' roster events and
    their store writes have settled; lease renewals and token refreshes go on); returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        c0 = proc_cpu_s(pid)
        time.sleep(window)
        if proc_cpu_s(pid) - c0 < quiet_cpu_s:
            break
    return round(time.monotonic() - t0, 1)


def watch_connected(bridge, target, t0, timeout, poll=0.02):
    """Polls the bridge's connected-sessions gauge until it reaches `target`: (seconds from t0 to the first
    session, to the last, the count reached)."""
    first = last = None
    n = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = connected_gauge(bridge) or 0
        now = time.monotonic()
        if n >= 1 and first is None:
            first = now - t0
        if n >= target:
            last = now - t0
            break
        if bridge.p.poll() is not None:
            break
        time.sleep(poll)
    return (round(first, 3) if first is not None else None, round(last, 3) if last is not None else None, n)


def participant_check(sim, prefix, count):
    """The node's side, over every room: each session's participant exactly once, tokens live, streams open."""
    _, rooms = http_json("GET", f"{sim.url}/_simulator/rooms")
    names = [p["display_name"] for room in rooms["rooms"] for p in room["participants"]
             if p["display_name"].startswith(prefix + "-")]
    return {"participants": len(names), "distinct": len(set(names)), "expected": count,
            "live_tokens": sum(r["live_tokens"] for r in rooms["rooms"]),
            "open_event_streams": sum(r["open_event_streams"] for r in rooms["rooms"])}


def takeover_bench(args):
    """Two instances on one PostgreSQL and one separate simulator: N sessions on A, SIGKILL A, until B holds all."""
    n = args.takeover_sessions
    store = StoreSpec.make(args, "postgres", "takeover")
    sim = start_simulator(args, log_level="debug", name="takeover-simulator", rooms=args.store_rooms)
    a = b = None
    try:
        a = start_store_bridge(args, store, "a", "takeover-a")
        b = start_store_bridge(args, store, "b", "takeover-b")
        t = time.monotonic()
        asyncio.run(join_many(a, sim, n, "takeover", args.join_concurrency, store_aliases(args)))
        join_s = time.monotonic() - t
        settle_s = wait_idle(a.pid, quiet_cpu_s=0.5, timeout=300)
        # Every session's token and snapshot is in the store (what a takeover after a crash needs).
        deadline = time.monotonic() + 60
        while store.resumable() < n and time.monotonic() < deadline:
            time.sleep(0.2)
        stored = store.resumable()
        before = participant_check(sim, "takeover", n)
        tokens0, releases0 = node_calls(sim, "request_token"), node_calls(sim, "release_token")
        on_b_before = connected_gauge(b)
        t0 = time.monotonic()
        a.p.send_signal(signal.SIGKILL)
        a.p.wait(10)
        first, last, reached = watch_connected(b, n, t0, timeout=3 * args.lease_seconds + 120)
        # The node's event streams for the sessions are B's now (poll: the node notices A's sockets closing).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = participant_check(sim, "takeover", n)
            if after["open_event_streams"] == n:
                break
            time.sleep(0.1)
        streams_s = round(time.monotonic() - t0, 3)
        m = metrics(b)
        tokens1, releases1 = node_calls(sim, "request_token"), node_calls(sim, "release_token")
        return {
            "sessions": n, "rooms": len(store_aliases(args)), "lease_s": args.lease_seconds,
            "join_s": round(join_s, 1), "settle_s": settle_s,
            "stored_before_kill": stored, "connected_on_b_before": on_b_before,
            "first_back_s": first, "last_back_s": last, "connected_on_b": reached,
            "node_streams_n_s": streams_s if after["open_event_streams"] == n else None,
            "takeovers_on_b": int(m.get("pexbridge_store_takeovers_total", 0)),
            "request_tokens_before": tokens0, "request_tokens_after": tokens1,
            "extra_request_tokens": tokens1 - tokens0, "release_tokens": releases1 - releases0,
            "node_before": before, "node_after": after, "postgres": store.pg.version,
            "pg_options": args.pg_option, "load": loadavg(),
        }
    finally:
        for p in (a, b):
            if p:
                p.stop()
        sim.stop()
        store.close()


def resume_bench(args, kind):
    """N sessions on one bridge with a store, SIGTERM (handover), start again: until all are connected."""
    n = args.resume_sessions
    store = StoreSpec.make(args, kind, "resume")
    sim = start_simulator(args, log_level="debug", name=f"resume-{kind}-simulator", rooms=args.store_rooms)
    bridge = again = None
    try:
        bridge = start_store_bridge(args, store, "a", f"resume-{kind}")
        t = time.monotonic()
        asyncio.run(join_many(bridge, sim, n, "resume", args.join_concurrency, store_aliases(args)))
        join_s = time.monotonic() - t
        settle_s = wait_idle(bridge.pid, quiet_cpu_s=0.5, timeout=300)
        connected_before = connected_gauge(bridge)
        before = participant_check(sim, "resume", n)
        tokens0, releases0 = node_calls(sim, "request_token"), node_calls(sim, "release_token")
        t0 = time.monotonic()
        bridge.p.send_signal(signal.SIGTERM)
        code = bridge.p.wait(120)
        handover_s = time.monotonic() - t0
        stored = store.resumable()
        t1 = time.monotonic()
        again = start_store_bridge(args, store, "a", f"resume-{kind}-again")
        listening_s = time.monotonic() - t1
        cpu0 = proc_cpu_s(again.pid)
        first, last, reached = watch_connected(again, n, t1, timeout=300)
        cpu1 = proc_cpu_s(again.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            after = participant_check(sim, "resume", n)
            if after["open_event_streams"] >= n:
                break
            time.sleep(0.1)
        streams_s = round(time.monotonic() - t1, 3)
        m = metrics(again)
        tokens1, releases1 = node_calls(sim, "request_token"), node_calls(sim, "release_token")
        return {
            "store": kind, "sessions": n, "rooms": len(store_aliases(args)), "join_s": round(join_s, 1),
            "settle_s": settle_s,
            "connected_before": connected_before, "handover_exit_code": code, "handover_s": round(handover_s, 3),
            "stored_after_handover": stored, "listening_s": round(listening_s, 3),
            "first_back_s": first, "last_back_s": last, "connected_after": reached,
            "from_sigterm_s": round(t1 - t0 + last, 3) if last is not None else None,
            "resume_cpu_s": round(cpu1 - cpu0, 2),
            "node_streams_n_s": streams_s if after["open_event_streams"] >= n else None,
            "takeovers": int(m.get("pexbridge_store_takeovers_total", 0)),
            "extra_request_tokens": tokens1 - tokens0, "release_tokens": releases1 - releases0,
            "node_before": before, "node_after": after, "load": loadavg(),
        }
    finally:
        for p in (bridge, again):
            if p:
                p.stop()
        sim.stop()
        store.close()


async def cross_observer(bridge, session, side):
    """One observer subscribed to `session`: the arrival (wall-clock ns) of every stamped chat event."""
    ws = await WSClient.connect(bridge.host, bridge.port)
    await ws.recv()  # hello
    await ws.send({"type": "subscribe", "id": 1, "session": session})
    state = {"side": side, "ws": ws, "arrivals": {}, "subscribed": None, "seqs": []}

    async def read():
        try:
            while True:
                raw = await ws.recv_raw()
                now_ns = time.time_ns()
                if b"t_send_ns=" in raw:
                    m = json.loads(raw)
                    text = m.get("text", "")
                    if m.get("type") == "message" and text.startswith("t_send_ns="):
                        state["arrivals"][int(text[len("t_send_ns="):].split(" ", 1)[0])] = now_ns
                        if "seq" in m:
                            state["seqs"].append(m["seq"])
                elif b'"type":"result"' in raw and state["subscribed"] is None:
                    m = json.loads(raw)
                    state["subscribed"] = True if m.get("ok") else (m.get("error") or {}).get("code", "refused")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
    state["task"] = asyncio.get_running_loop().create_task(read())
    return state


async def cross_bench_async(args, a, b, sim):
    session = await driver_join(a, sim, name="cross-holder")
    await asyncio.sleep(1)
    k = args.cross_observers
    obs = []
    for i in range(k):
        obs.append(await cross_observer(a, session, "A"))
        obs.append(await cross_observer(b, session, "B"))
    deadline = time.monotonic() + 30
    while any(o["subscribed"] is None for o in obs) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    events = args.cross_events
    http_json("POST", f"{sim.url}/_simulator/rooms/meet.open/bench",
              {"count": events, "interval_ms": args.cross_interval_ms, "burst": 1, "size": args.chat_size})
    await asyncio.sleep(events * args.cross_interval_ms / 1000 + 3)
    for o in obs:
        o["task"].cancel()
        await o["ws"].close()
    side_a = [o for o in obs if o["side"] == "A"]
    side_b = [o for o in obs if o["side"] == "B"]
    stamps = sorted({s for o in side_a for s in o["arrivals"]})
    lat_a = [(o["arrivals"][s] - s) / 1e6 for o in side_a for s in o["arrivals"]]
    lat_b = [(o["arrivals"][s] - s) / 1e6 for o in side_b for s in o["arrivals"]]
    added, added_event = [], []
    for s in stamps:
        on_a = [o["arrivals"][s] for o in side_a if s in o["arrivals"]]
        on_b = [o["arrivals"][s] for o in side_b if s in o["arrivals"]]
        if not on_a or not on_b:
            continue
        ref = statistics.median(on_a)
        added += [(x - ref) / 1e6 for x in on_b]
        added_event.append((statistics.median(on_b) - ref) / 1e6)

    def q(vals, p):
        return round(pct(vals, p), 2) if vals else None

    def gap_free(o):
        return o["seqs"] == list(range(o["seqs"][0], o["seqs"][0] + len(o["seqs"]))) if o["seqs"] else True
    refused_b = {}
    for o in side_b:
        if o["subscribed"] is not True:
            refused_b[str(o["subscribed"])] = refused_b.get(str(o["subscribed"]), 0) + 1
    return {
        "observers_per_side": k, "events": events, "interval_ms": args.cross_interval_ms,
        "events_seen_on_a": len(stamps),
        "deliveries_a": len(lat_a), "deliveries_b": len(lat_b), "expected_per_side": k * events,
        "b_subscribe_refused": refused_b,
        "a_p50_ms": q(lat_a, .5), "a_p99_ms": q(lat_a, .99), "b_p50_ms": q(lat_b, .5), "b_p99_ms": q(lat_b, .99),
        "added_p50_ms": q(added, .5), "added_p99_ms": q(added, .99),
        "added_per_event_p50_ms": q(added_event, .5), "added_per_event_p99_ms": q(added_event, .99),
        "seq_gap_free_a": all(gap_free(o) for o in side_a), "seq_gap_free_b": all(gap_free(o) for o in side_b),
        "same_seqs": sorted({tuple(o["seqs"]) for o in obs if o["seqs"]}).__len__() <= 1,
    }


def cross_bench(args):
    """Two instances on one PostgreSQL; a session held by A; observers on A and on B; stamped chat from the node."""
    store = StoreSpec.make(args, "postgres", "cross")
    sim = start_simulator(args)
    a = b = None
    try:
        a = start_store_bridge(args, store, "a", "cross-a")
        b = start_store_bridge(args, store, "b", "cross-b")
        r = asyncio.run(cross_bench_async(args, a, b, sim))
        r["load"] = loadavg()
        return r
    finally:
        for p in (a, b):
            if p:
                p.stop()
        sim.stop()
        store.close()


def print_takeover(r):
    print(f"\n7a. Takeover after SIGKILL: {r['sessions']} sessions in {r['rooms']} rooms on instance A, PostgreSQL"
          f" {r['postgres']}, lease"
          f" {r['lease_s']} s; A SIGKILLed, B takes over once the leases lapse")
    print(f"   before: {r['stored_before_kill']}/{r['sessions']} resumable in the store, {r['connected_on_b_before']}"
          f" held by B (joins {r['join_s']} s, settle {r['settle_s']} s)")
    print(f"   SIGKILL -> first session connected on B {fmt(r['first_back_s'])} s, last {fmt(r['last_back_s'])} s"
          f" ({r['connected_on_b']}/{r['sessions']}); node has {r['sessions']} event streams again at"
          f" {fmt(r['node_streams_n_s'])} s; takeovers counted by B: {r['takeovers_on_b']}")
    na = r["node_after"]
    print(f"   node: {r['extra_request_tokens']} extra request_token, {r['release_tokens']} release_token;"
          f" participants {na['participants']} ({na['distinct']} distinct, {r['sessions']} expected), live tokens"
          f" {na['live_tokens']}; load {r['load']}")


def print_resume(rows):
    table("7b. Resume after a restart: N sessions connected, SIGTERM (handover), the same instance started again"
          " (seconds; 'last' from the new process's start; target: within 10 s)",
          [("store", "store"), ("N", "sessions"), ("rooms", "rooms"), ("handover s", "handover_s"),
           ("stored", "stored_after_handover"),
           ("listening s", "listening_s"), ("first s", "first_back_s"), ("last s", "last_back_s"),
           ("from SIGTERM s", "from_sigterm_s"), ("connected", "connected_after"),
           ("node streams s", "node_streams_n_s"), ("CPU s", "resume_cpu_s"),
           ("extra request_token", "extra_request_tokens"), ("release_token", "release_tokens")], rows)


def print_cross(r):
    print(f"\n7d. Cross-instance delivery: one session held by A on PostgreSQL, {r['observers_per_side']} observers"
          f" subscribed on A and {r['observers_per_side']} on B, {r['events']} stamped chat events"
          f" {r['interval_ms']} ms apart")
    print(f"   deliveries: A {r['deliveries_a']}/{r['expected_per_side']}, B {r['deliveries_b']}/"
          f"{r['expected_per_side']}" + (f"; B refused subscribe: {r['b_subscribe_refused']}"
                                          if r["b_subscribe_refused"] else ""))
    if not r["deliveries_b"]:
        print("   B DELIVERED NOTHING: this build does not carry events to another instance's subscribers")
    print(f"   node -> observer on A: p50 {fmt(r['a_p50_ms'])} ms, p99 {fmt(r['a_p99_ms'])} ms; on B: p50"
          f" {fmt(r['b_p50_ms'])} ms, p99 {fmt(r['b_p99_ms'])} ms")
    print(f"   added on B (arrival on B - median arrival on A, same event): p50 {fmt(r['added_p50_ms'])} ms, p99"
          f" {fmt(r['added_p99_ms'])} ms (target p50 < 5 ms); per event (medians): p50"
          f" {fmt(r['added_per_event_p50_ms'])} ms, p99 {fmt(r['added_per_event_p99_ms'])} ms")
    print(f"   seq gap-free A {r['seq_gap_free_a']}, B {r['seq_gap_free_b']}, same seqs on both {r['same_seqs']};"
          f" load {r['load']}")


def store_benches(args, only, results):
    """The store's measurements (issue 13), each in its own fresh store, simulator and bridge processes; the
    results file is written after each (a long run keeps what it measured)."""
    kinds = [k for k in args.stores.split(",") if k]

    def save():
        with open(os.path.join(args.out, f"results-{args.command}.json"), "w") as f:
            json.dump(results, f, indent=1)
    if "store-takeover" in only:
        print(f"\n  store takeover: {args.takeover_sessions} sessions, lease {args.lease_seconds} s"
              f" (load {loadavg()}) ...", flush=True)
        results["store_takeover"] = takeover_bench(args)
        print_takeover(results["store_takeover"])
        save()
    if "store-resume" in only:
        results["store_resume"] = []
        for kind in kinds:
            print(f"\n  store resume: {args.resume_sessions} sessions on {kind} (load {loadavg()}) ...", flush=True)
            results["store_resume"].append(resume_bench(args, kind))
            print_resume(results["store_resume"][-1:])
            save()
        if len(kinds) > 1:
            print_resume(results["store_resume"])
    if "store-fanout" in only:
        rows = []
        for rep in range(args.repeat):
            for n in [int(x) for x in args.sizes.split(",")]:
                print(f"  fan-out with a store N={n} run {rep + 1}/{args.repeat} (load {loadavg()}) ...", flush=True)
                rows += fanout_one(args, n, rep, stores=[None] + kinds)
        results["store_fanout_runs"] = rows
        results["store_fanout"] = median_rows(rows)
        print_fanout(results["store_fanout"], title="7c. Fan-out with a store (every event also written to it)")
        save()
    if "store-cross" in only:
        print(f"\n  store cross-instance: {args.cross_observers} + {args.cross_observers} observers"
              f" (load {loadavg()}) ...", flush=True)
        results["store_cross"] = cross_bench(args)
        print_cross(results["store_cross"])
        save()


def store_failures(results):
    failed = []
    t = results.get("store_takeover")
    if t and (t["connected_on_b"] != t["sessions"] or t["extra_request_tokens"] or t["release_tokens"]
              or t["node_after"]["participants"] != t["sessions"] or t["node_after"]["distinct"] != t["sessions"]):
        failed.append(f"store takeover: {t['connected_on_b']}/{t['sessions']} back on B,"
                      f" {t['extra_request_tokens']} extra request_token, {t['release_tokens']} release_token,"
                      f" node participants {t['node_after']}")
    for r in results.get("store_resume", []):
        if (r["connected_after"] != r["sessions"] or r["extra_request_tokens"] or r["release_tokens"]
                or r["node_after"]["participants"] != r["sessions"]):
            failed.append(f"store resume ({r['store']}): {r['connected_after']}/{r['sessions']} back,"
                          f" {r['extra_request_tokens']} extra request_token, {r['release_tokens']} release_token,"
                          f" node participants {r['node_after']}")
    for r in results.get("store_fanout", []):
        if r["lost"]:
            failed.append(f"{r['server']} {r['mode']} N={r['n']} lost {r['lost']}")
    c = results.get("store_cross")
    if c and c["deliveries_a"] != c["expected_per_side"]:
        failed.append(f"store cross: A delivered {c['deliveries_a']}/{c['expected_per_side']}")
    return failed


# ------------------------------------------------------------------ printing
def table(title, cols, rows):
    print(f"\n{title}")
    widths = [max(len(h), *(len(fmt(r.get(k))) for r in rows)) for h, k in cols]
    print("  ".join(h.rjust(w) for (h, _), w in zip(cols, widths)))
    for r in rows:
        print("  ".join(fmt(r.get(k)).rjust(w) for (_, k), w in zip(cols, widths)))


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"
    return str(v)


def print_fanout(rows, title="1. Fan-out"):
    cols = [("server", "server"), ("mode", "mode"), ("N", "n"), ("frame B", "frame_bytes"), ("events", "events"),
            ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("max ms", "max_ms"),
            ("last p50 ms", "last_p50_ms"), ("last max ms", "last_max_ms"), ("lost", "lost"),
            ("CPU s", "cpu_s"), ("CPU us/msg", "cpu_us_per_delivery"), ("RSS MiB", "rss_mib"),
            ("KiB/conn", "rss_kib_per_conn"), ("probe %", "probe_cpu_pct"), ("runs", "runs")]
    order = {"C lws": 0, "pexbridge": 1, "pexbridge+sqlite": 2, "pexbridge+postgres": 3}
    rows = sorted(rows, key=lambda r: (r["n"], order.get(r["server"], 2), r["mode"] != "rate"))
    table(f"{title} (latency = emission -> receipt; 'last' = time for one event to reach the last observer)",
          cols, rows)
    print("   rate: 10 chat events 500 ms apart + 4 roster changes; burst: 5 bursts of 10 chat events, 500 ms apart."
          " 'CPU us/msg' = server CPU in the window / frames delivered.")
    for n in sorted({r["n"] for r in rows}):
        c = next((r for r in rows if r["n"] == n and r["server"] == "C lws"), None)
        for b in [r for r in rows if r["n"] == n and r["server"].startswith("pexbridge") and r["mode"] == "rate"]:
            if c and c["last_p50_ms"]:
                print(f"   N={n}: time to last observer, {b['server']}/C = {b['last_p50_ms'] / c['last_p50_ms']:.2f}x"
                      f" (p50), {b['last_max_ms'] / c['last_max_ms']:.2f}x (max)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        sys.exit(probe_main(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "flooder":
        sys.exit(flooder_main(sys.argv[2:]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["all", "flood", "churn", "speakers", "store"],
                    help="all: the --only list; flood, churn, speakers: that one benchmark; store: the --store-only"
                         " list")
    ap.add_argument("--bin", required=True,
                    help="the release pexbridge binary (any build: e.g. a baseline, for before/after)")
    ap.add_argument("--c-server", help="the compiled lws_broadcast_server (fanout only)")
    ap.add_argument("--bench-dir", help="where fanout_probe.py is (fanout only)")
    ap.add_argument("--only", default="fanout,sessions,join", help="of fanout,sessions,join,flood,churn")
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--repeat", type=int, default=1, help="fan-out runs per size (medians are printed)")
    ap.add_argument("--procs", type=int, default=2, help="worker processes of the probe and of the flooders")
    ap.add_argument("--chat-size", type=int, default=116, help="chat text bytes (the event frame is ~256 B)")
    ap.add_argument("--c-size", type=int, default=272, help="C broadcaster size (its frame is ~256 B)")
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--token-expiry", default="6,120",
                    help="simulator token lifetimes for the sessions run, comma-separated (refresh at 1/3)")
    ap.add_argument("--join-concurrency", type=int, default=20)
    ap.add_argument("--settle", type=float, default=10, help="seconds before the sessions CPU window")
    ap.add_argument("--window", type=float, default=30, help="seconds of the sessions CPU window")
    ap.add_argument("--joins", type=int, default=200)
    ap.add_argument("--flood-clients", type=int, default=50, help="flooding connections")
    ap.add_argument("--flood-size", type=int, default=60 * 1024, help="bytes of each flood request frame")
    ap.add_argument("--flood-seconds", type=float, default=10, help="length of the flood")
    ap.add_argument("--ping-interval", type=float, default=1, help="seconds between the good client's pings")
    ap.add_argument("--ping-timeout", type=float, default=30, help="a ping unanswered this long counts as lost")
    ap.add_argument("--churn-workers", type=int, default=20, help="clients looping join/subscribe/leave")
    ap.add_argument("--churn-seconds", type=float, default=600, help="length of the churn soak")
    ap.add_argument("--churn-sample", type=float, default=15, help="seconds between RSS samples")
    ap.add_argument("--churn-linger", type=float, default=0,
                    help="seconds to keep sampling the idle bridge after the churn (memory that comes back)")
    ap.add_argument("--alias", default="meet.open", help="the open simulator room the churn clients join")
    ap.add_argument("--separate-node", action="store_true",
                    help="churn against a separate `pexbridge simulate` (bridge RSS without the simulator's)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="flood/churn: set in the bridge's environment, e.g. MALLOC_ARENA_MAX=2 (repeatable)")
    ap.add_argument("--bridge-arg", action="append", default=[], metavar="ARG",
                    help="flood/churn: one more argument for `pexbridge serve` (repeatable)")
    ap.add_argument("--speakers-sessions", type=int, default=100, help="speakers: sessions in the room")
    ap.add_argument("--speakers-observers", type=int, default=1000, help="speakers: observers (half opted in)")
    ap.add_argument("--speakers-rate", type=float, default=10, help="speakers: stage reports per second")
    ap.add_argument("--speakers-seconds", type=float, default=20, help="speakers: length of the window")
    ap.add_argument("--store-only", default="takeover,resume,fanout,cross",
                    help="store: of takeover,resume,fanout,cross")
    ap.add_argument("--stores", default="sqlite,postgres", help="store: the stores resume and fanout run on")
    ap.add_argument("--lease-seconds", type=int, default=10, help="store: the instances' --lease-seconds")
    ap.add_argument("--store-rooms", type=int, default=100,
                    help="store: takeover and resume sessions spread over this many rooms (0: all in meet.open)")
    ap.add_argument("--takeover-sessions", type=int, default=100, help="store: sessions on the killed instance")
    ap.add_argument("--resume-sessions", type=int, default=1000, help="store: sessions resumed after a restart")
    ap.add_argument("--cross-observers", type=int, default=100, help="store: observers on each instance")
    ap.add_argument("--cross-events", type=int, default=50, help="store: stamped chat events")
    ap.add_argument("--cross-interval-ms", type=int, default=100, help="store: between two chat events")
    ap.add_argument("--pg-option", action="append", default=[], metavar="NAME=VALUE",
                    help="store: a PostgreSQL setting (-c), e.g. synchronous_commit=off (repeatable)")
    ap.add_argument("--out", default="artifacts/bench")
    args = ap.parse_args()
    if args.command == "store":
        args.only = ",".join(f"store-{x}" for x in args.store_only.split(","))
    elif args.command != "all":
        args.only = args.command
    only_list = args.only.split(",")
    if ("fanout" in only_list or "store-fanout" in only_list) and not (args.c_server and args.bench_dir):
        ap.error("fanout needs --c-server and --bench-dir")
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(","))
    results = {"load_start": loadavg(), "cpus": os.cpu_count(), "uvloop": have_uvloop()}
    print(f"pexbridge benchmarks: {os.cpu_count()} CPUs, load average {results['load_start']}, "
          f"probe engine raw{' + uvloop' if results['uvloop'] else ''}, {args.procs} probe processes; "
          f"logs in {args.out}", flush=True)

    if "fanout" in only:
        rows = []
        for rep in range(args.repeat):
            for n in [int(x) for x in args.sizes.split(",")]:
                print(f"  fan-out N={n} run {rep + 1}/{args.repeat} (load {loadavg()}) ...", flush=True)
                rows += fanout_one(args, n, rep)
        results["fanout_runs"] = rows
        results["fanout"] = median_rows(rows)
        print_fanout(results["fanout"])
        mem = [r for r in results["fanout"] if r["mode"] == "rate"]
        table("2. Memory: RSS per idle connected observer, fresh process, 0 -> N (subscribed, before any event)",
              [("server", "server"), ("N", "n"), ("KiB/conn", "rss_kib_per_conn")],
              sorted(mem, key=lambda r: (r["n"], r["server"])))
    if "sessions" in only:
        results["sessions"] = []
        for expiry in [int(x) for x in str(args.token_expiry).split(",")]:
            print(f"\n  sessions: {args.sessions} joins, token expiry {expiry} s (load {loadavg()}) ...", flush=True)
            results["sessions"].append(asyncio.run(sessions_bench(args, expiry)))
        table(f"3. Sessions: {args.sessions} concurrent sessions in one simulator room (event streams open),"
              f" steady state over {args.window:.0f} s",
              [("expiry s", "token_expiry_s"), ("joined", "joined_ok"), ("setup s", "setup_s"),
               ("setup CPU s", "setup_cpu_s"), ("CPU % 1 core", "cpu_pct_one_core"),
               ("refreshes/s", "refreshes_per_s"), ("CPU ms/refresh", "cpu_ms_per_refresh"),
               ("refresh fails", "refresh_failures"), ("RSS MiB", "rss_mib"), ("KiB/session", "rss_kib_per_session"),
               ("roster", "roster_per_session"), ("connected at end", "connected_at_end"),
               ("node tokens", "node_live_tokens"), ("node streams", "node_open_streams")], results["sessions"])
        print("   setup: all joins into one room make ~N^2/2 roster events; RSS holds N rosters of N participants"
              " and each session's replay buffer.")
    if "join" in only:
        print(f"\n  join latency: {args.joins} sequential joins ...", flush=True)
        results["join"] = asyncio.run(join_bench(args))
        j = results["join"]
        table("4. Join latency (join -> connected at the client, minus the node's own request_token time), ms",
              [("joins", "joins"), ("join p50", "join_p50_ms"), ("join p99", "join_p99_ms"),
               ("node p50", "node_p50_ms"), ("node p99", "node_p99_ms"), ("overhead p50", "overhead_p50_ms"),
               ("overhead p99", "overhead_p99_ms"), ("overhead (mean, vs bridge's upstream timer)",
                                                      "overhead_vs_bridge_upstream_mean_ms")], [j])
    if "flood" in only:
        print(f"\n  flood: {args.flood_clients} clients x {args.flood_size} B for {args.flood_seconds:g} s"
              f" (load {loadavg()}) ...", flush=True)
        results["flood"] = flood_bench(args)
        print_flood(results["flood"])
    if "churn" in only:
        print(f"\n  churn: {args.churn_workers} clients for {args.churn_seconds:g} s, RSS every"
              f" {args.churn_sample:g} s (load {loadavg()}) ...", flush=True)
        results["churn"] = churn_bench(args)
        print_churn(results["churn"])
    if "speakers" in only:
        print(f"\n  speakers: {args.speakers_sessions} sessions, {args.speakers_observers} observers, stage"
              f" {args.speakers_rate:g}/s for {args.speakers_seconds:g} s (load {loadavg()}) ...", flush=True)
        results["speakers"] = speakers_bench(args)
        print_speakers(results["speakers"])
    try:
        store_benches(args, only, results)
    finally:
        Postgres.stop_all()
    results["load_end"] = loadavg()
    print(f"\nload average at the end: {results['load_end']}")
    name = "results.json" if args.command == "all" else f"results-{args.command}.json"
    with open(os.path.join(args.out, name), "w") as f:
        json.dump(results, f, indent=1)
    failed = []
    for r in results.get("fanout", []):
        if r["lost"]:
            failed.append(f"{r['server']} {r['mode']} N={r['n']} lost {r['lost']}")
    for s in results.get("sessions", []):
        if s["connected_at_end"] != s["sessions"] or s["joined_ok"] != s["sessions"]:
            failed.append(f"sessions (expiry {s['token_expiry_s']} s): {s['joined_ok']} joined,"
                          f" {s['connected_at_end']}/{s['sessions']} connected at the end")
    fl = results.get("flood")
    if fl and not (fl["bridge_alive"] and fl["good_client_still_connected"] and fl["pings"] > fl["pings_lost"]):
        failed.append("flood: the bridge died or the good client lost its connection or every ping")
    ch = results.get("churn")
    if ch and (ch["errors"] or not ch["bridge_alive"]):
        failed.append(f"churn: {ch['errors']} errors, bridge alive {ch['bridge_alive']}")
    sp = results.get("speakers")
    if sp and not (sp["latest_list_everywhere"] and sp["not_opted_in_saw_speakers"] == 0
                   and sp["speakers_with_seq"] == 0 and sp["plain_seq_gap_free"]
                   and sp["busiest_1s_window"] <= 4):
        failed.append(f"speakers: {sp}")
    failed += store_failures(results)
    for f_ in failed:
        print(f"FAIL: {f_}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
