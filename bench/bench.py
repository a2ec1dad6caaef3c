#!/usr/bin/env python3
"""pexbridge benchmarks: fan-out, memory per observer, 1,000 sessions, join latency.

Run through scripts/bench.sh (it builds the release binary and the plain-C lws broadcaster, then
calls `bench.py all`). Stdlib only, plus fanout_probe.py from the shared bench directory (which
uses uvloop when the interpreter has it).

    bench.py all --bin PATH --c-server PATH --bench-dir DIR [--only fanout,sessions,join]
                 [--sizes 1000,5000,10000] [--repeat N] [--sessions 1000] [--joins 200] [--out DIR]
    bench.py probe --bench-dir DIR -- <fanout_probe.py arguments>   (internal: the probe, whose
                 --trigger is a JSON plan of simulator control calls instead of a WebSocket text)

Every figure comes from processes started here on 127.0.0.1 ports chosen by the OS, and every
process started here is stopped here.
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
import signal
import socket
import statistics
import struct
import subprocess
import sys
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

    def __init__(self, argv, name, log_dir):
        self.name = name
        self.err_path = os.path.join(log_dir, f"{name}.stderr.log")
        self.err = open(self.err_path, "ab")
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL)
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


def start_simulator(args, token_expiry=None):
    argv = [args.bin, "simulate", "--listen", "127.0.0.1:0", "--log-level", "warning"]
    if token_expiry:
        argv += ["--token-expiry", str(token_expiry)]
    sim = Proc(argv, "simulator", args.out)
    m = sim.wait_for(r"simulator listening on (127\.0\.0\.1:\d+)")
    sim.url = f"http://{m.group(1)}"
    return sim


def start_bridge(args):
    argv = [args.bin, "serve", "--listen", "127.0.0.1:0", "--allow-insecure-nodes",
            "--max-connections-per-address", "20000", "--max-connections", "20000", "--request-rate", "1000"]
    bridge = Proc(argv, "bridge", args.out)
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


def fanout_one(args, n, rep):
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
    # The bridge: fresh simulator and bridge for each N (so the RSS per connection is from a fresh start).
    sim = start_simulator(args)
    bridge = start_bridge(args)
    try:
        asyncio.run(driver_join(bridge, sim))
        sizes = asyncio.run(frame_sizes(bridge, sim, args.chat_size))
        if sizes.get("roster_events_per_change") != 1:
            raise RuntimeError(f"expected one event per roster change, saw {sizes}")
        m0 = metrics(bridge)
        plan = {"sim": sim.url, "bench": dict(RATE, size=args.chat_size), "roster": ROSTER}
        res = run_probe(args, bridge.ws_url, n, bridge.pid, RATE["count"] + ROSTER["count"], json.dumps(plan), True,
                        f"bridge-rate-{n}-{rep}", on_open='{"type":"subscribe","id":1}')
        m1 = metrics(bridge)
        rows.append(fanout_row("pexbridge", n, res, sizes.get("chat"), {
            "mode": "rate", "roster_frame_bytes": sizes.get("roster"),
            "dropped": m1.get("pexbridge_frames_dropped_total", 0) - m0.get("pexbridge_frames_dropped_total", 0),
            "slow_closes": m1.get("pexbridge_slow_consumer_closes_total", 0)}))
        plan = {"sim": sim.url, "bench": dict(BURST, size=args.chat_size)}
        res = run_probe(args, bridge.ws_url, n, bridge.pid, BURST["count"] * BURST["burst"], json.dumps(plan), True,
                        f"bridge-burst-{n}-{rep}", on_open='{"type":"subscribe","id":1}')
        m2 = metrics(bridge)
        rows.append(fanout_row("pexbridge", n, res, sizes.get("chat"), {
            "mode": "burst",
            "dropped": m2.get("pexbridge_frames_dropped_total", 0) - m1.get("pexbridge_frames_dropped_total", 0),
            "slow_closes": m2.get("pexbridge_slow_consumer_closes_total", 0)}))
    finally:
        bridge.stop()
        sim.stop()
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


def print_fanout(rows):
    cols = [("server", "server"), ("mode", "mode"), ("N", "n"), ("frame B", "frame_bytes"), ("events", "events"),
            ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("max ms", "max_ms"),
            ("last p50 ms", "last_p50_ms"), ("last max ms", "last_max_ms"), ("lost", "lost"),
            ("CPU s", "cpu_s"), ("CPU us/msg", "cpu_us_per_delivery"), ("RSS MiB", "rss_mib"),
            ("KiB/conn", "rss_kib_per_conn"), ("probe %", "probe_cpu_pct"), ("runs", "runs")]
    order = {"C lws": 0, "pexbridge": 1}
    rows = sorted(rows, key=lambda r: (r["n"], order.get(r["server"], 2), r["mode"] != "rate"))
    table("1. Fan-out (latency = emission -> receipt; 'last' = time for one event to reach the last observer)",
          cols, rows)
    print("   rate: 10 chat events 500 ms apart + 4 roster changes; burst: 5 bursts of 10 chat events, 500 ms apart."
          " 'CPU us/msg' = server CPU in the window / frames delivered.")
    for n in sorted({r["n"] for r in rows}):
        c = next((r for r in rows if r["n"] == n and r["server"] == "C lws"), None)
        b = next((r for r in rows if r["n"] == n and r["server"] == "pexbridge" and r["mode"] == "rate"), None)
        if c and b and c["last_p50_ms"]:
            print(f"   N={n}: time to last observer, pexbridge/C = {b['last_p50_ms'] / c['last_p50_ms']:.2f}x (p50),"
                  f" {b['last_max_ms'] / c['last_max_ms']:.2f}x (max)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        sys.exit(probe_main(sys.argv[2:]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["all"])
    ap.add_argument("--bin", required=True, help="the release pexbridge binary")
    ap.add_argument("--c-server", required=True, help="the compiled lws_broadcast_server")
    ap.add_argument("--bench-dir", required=True, help="where fanout_probe.py is")
    ap.add_argument("--only", default="fanout,sessions,join")
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--repeat", type=int, default=1, help="fan-out runs per size (medians are printed)")
    ap.add_argument("--procs", type=int, default=2, help="probe worker processes")
    ap.add_argument("--chat-size", type=int, default=116, help="chat text bytes (the event frame is ~256 B)")
    ap.add_argument("--c-size", type=int, default=272, help="C broadcaster size (its frame is ~256 B)")
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--token-expiry", default="6,120",
                    help="simulator token lifetimes for the sessions run, comma-separated (refresh at 1/3)")
    ap.add_argument("--join-concurrency", type=int, default=20)
    ap.add_argument("--settle", type=float, default=10, help="seconds before the sessions CPU window")
    ap.add_argument("--window", type=float, default=30, help="seconds of the sessions CPU window")
    ap.add_argument("--joins", type=int, default=200)
    ap.add_argument("--out", default="artifacts/bench")
    args = ap.parse_args()
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
    results["load_end"] = loadavg()
    print(f"\nload average at the end: {results['load_end']}")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    failed = []
    for r in results.get("fanout", []):
        if r["lost"]:
            failed.append(f"{r['server']} {r['mode']} N={r['n']} lost {r['lost']}")
    for s in results.get("sessions", []):
        if s["connected_at_end"] != s["sessions"] or s["joined_ok"] != s["sessions"]:
            failed.append(f"sessions (expiry {s['token_expiry_s']} s): {s['joined_ok']} joined,"
                          f" {s['connected_at_end']}/{s['sessions']} connected at the end")
    for f_ in failed:
        print(f"FAIL: {f_}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
