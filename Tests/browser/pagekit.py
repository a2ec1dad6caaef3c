"""Helpers for the real-browser tests of pexbridge's web page: bridges, a protocol client, a
cuttable TCP relay, Chromium, and the page with explicit waits and screenshots.

A bridge (`pexbridge serve --simulate`) is started by scripts/browser-test.sh and named by
PEXBRIDGE_URL (its simulator's control API by PEXBRIDGE_SIMULATOR_URL); without it, the session
fixture starts one from PEXBRIDGE_BIN itself. Tests that
need their own bridge (auth tokens, a restart on a fixed port) start it with `Bridge`.
Chromium runs headless through chromedriver (Debian's `chromium` and `chromium-driver`); when it
cannot start, the test fails: it is never skipped.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from websockets.sync.client import connect as ws_connect

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PEXBRIDGE_ARTIFACTS", REPO / "artifacts" / "browser"))
DOCS = REPO / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("PEXBRIDGE_UPDATE_DOCS") == "1"
WAIT = 15
DESKTOP = (1280, 800)
PHONE = (420, 900)


def bridge_binary() -> str:
    path = os.environ.get("PEXBRIDGE_BIN") or str(REPO / ".build" / "debug" / "pexbridge")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no bridge binary at {path}: build it (swift build) or set PEXBRIDGE_BIN", pytrace=False)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Bridge:
    """One `pexbridge serve --simulate` process; its address comes from its `listening on` line,
    its simulator's (`simulator_url`, for `Simulator`) from the `simulator:` line."""

    def __init__(self, name: str, *, port: int = 0, tokens: str | None = None):
        self.name = name
        self.port = port
        self.tokens = tokens
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.simulator_url = ""

    def start(self, timeout: float = 30) -> "Bridge":
        args = [bridge_binary(), "serve", "--simulate", "--listen", f"127.0.0.1:{self.port}"]
        if os.environ.get("PEXBRIDGE_WEB_ROOT"):
            args += ["--web-root", os.environ["PEXBRIDGE_WEB_ROOT"]]
        env = dict(os.environ)
        env.pop("PEXBRIDGE_TOKENS", None)
        if self.tokens:
            env["PEXBRIDGE_TOKENS"] = self.tokens  # tokens stay out of the process list
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            log = open(ARTIFACTS / f"bridge-{self.name}.log", "ab")
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, env=env, text=True)
            log.close()
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=self._drain, args=(self.process, lines), daemon=True).start()
            address, self.simulator_url = self._await_address(lines, deadline)
            if address:
                self.url = f"http://{address}"
                self.port = int(address.rsplit(":", 1)[1])
                return self
            # A fixed port may still be held by the previous process for a moment: try again.
            self.process.wait(timeout=5)
            if self.port == 0 or time.monotonic() > deadline:
                tail = (ARTIFACTS / f"bridge-{self.name}.log").read_text(errors="replace").strip().splitlines()[-3:]
                pytest.fail(f"bridge {self.name} did not start: {' / '.join(tail)}", pytrace=False)
            time.sleep(0.2)

    @staticmethod
    def _drain(process: subprocess.Popen, lines: "queue.Queue[str | None]") -> None:
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    def _await_address(self, lines: "queue.Queue[str | None]", deadline: float) -> tuple[str | None, str]:
        """The bridge's address and its simulator's base URL (printed right after it)."""
        address = None
        while True:
            try:
                line = lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                self.stop(signal.SIGKILL)
                pytest.fail(f"bridge {self.name} printed no address in time", pytrace=False)
            if line is None:
                return None, ""
            if line.startswith("listening on "):
                address = line.removeprefix("listening on ").strip()
            elif line.startswith("simulator:") and "/_simulator/" in line:
                return address, simulator_base(line)
            elif line.startswith("web page:"):
                return address, ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stops the process (SIGTERM: graceful; SIGKILL: a crash) and waits for it."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> "Bridge":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def simulator_base(line: str) -> str:
    """http://HOST:PORT from the bridge's `simulator: … control API: http://HOST:PORT/_simulator/rooms; …` line."""
    url = line.split("control API:", 1)[1].strip().split()[0].rstrip(";")
    return url.split("/_simulator/", 1)[0]


class Simulator:
    """The embedded simulator's control API (`/_simulator/`): plays the conference node's side."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def post(self, path: str, **fields) -> dict:
        request = urllib.request.Request(f"{self.base_url}/_simulator/{path}", method="POST",
                                         data=json.dumps(fields).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.base_url}/_simulator/{path}", timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def room(self, alias: str) -> dict:
        """The room as the simulator's control API shows it (`GET /_simulator/rooms`)."""
        rooms = self.get("rooms")["rooms"]
        found = next((room for room in rooms if room["alias"] == alias), None)
        assert found is not None, f"no room {alias} in the simulator"
        return found

    def participant(self, alias: str, *, uuid: str | None = None, name: str | None = None) -> dict | None:
        """One participant of the room on the node's side, by uuid or display name (None when absent)."""
        for participant in self.room(alias)["participants"]:
            if (uuid and participant.get("uuid") == uuid) or (name and participant.get("display_name") == name):
                return participant
        return None

    def add_participant(self, alias: str, display_name: str, role: str = "guest", muted: bool = False) -> str:
        """A scripted participant joins the room (the bridge's sessions in it see participant_joined); its uuid."""
        return self.post(f"rooms/{alias}/participants", display_name=display_name, role=role, muted=muted)["uuid"]

    def remove_participant(self, alias: str, uuid: str) -> bool:
        """Removes a participant; False when it had gone already (the demo activity makes scripted
        participants leave at random, the ones added here too)."""
        try:
            self.post(f"rooms/{alias}/participants/{uuid}/remove")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        return True

    def chat(self, alias: str, text: str, *, from_uuid: str | None = None, from_name: str | None = None) -> None:
        """A chat message from a participant in the room (by uuid) or from a name not in the roster."""
        fields = {"from_uuid": from_uuid} if from_uuid else {"from": from_name or "Simulator"}
        self.post(f"rooms/{alias}/chat", text=text, **fields)


class WsClient:
    """A second front end speaking the protocol directly (Python `websockets`, synchronous)."""

    def __init__(self, base_url: str, token: str | None = None):
        self._stack = contextlib.ExitStack()
        ws_url = "ws" + base_url.removeprefix("http") + "/ws"
        self.ws = self._stack.enter_context(ws_connect(ws_url, open_timeout=10, max_size=2**22))
        self.events: list[dict] = []
        self._next_id = 1
        hello = json.loads(self.ws.recv(timeout=10))
        assert hello["type"] == "hello", hello
        if token:
            result = self.request("auth", token=token)
            assert result["ok"], result

    def request(self, type_: str, timeout: float = 30, **fields) -> dict:
        request_id = self._next_id
        self._next_id += 1
        self.ws.send(json.dumps({"type": type_, "id": request_id, **fields}))
        deadline = time.monotonic() + timeout
        while True:
            message = self._recv(deadline, f"result of {type_}")
            if message.get("type") == "result" and message.get("id") == request_id:
                return message
            self.events.append(message)

    def wait_event(self, predicate, timeout: float = WAIT, what: str = "event") -> dict:
        for message in self.events:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            message = self._recv(deadline, what)
            self.events.append(message)
            if predicate(message):
                return message

    def _recv(self, deadline: float, what: str) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        try:
            return json.loads(self.ws.recv(timeout=remaining))
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "WsClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def own_participant(client: "WsClient", session_id: str, timeout: float = WAIT) -> dict:
    """The session's own participant (`self`), once the node's roster has it (it follows the join)."""
    deadline = time.monotonic() + timeout
    while True:
        # `list`, not `subscribe`: a plain subscribe would reset what the client asked to `include`.
        snapshot = next(s for s in client.request("list")["data"]["sessions"] if s["id"] == session_id)
        own = next((p for p in snapshot["participants"] if p.get("self")), None)
        if own:
            return own
        assert time.monotonic() < deadline, f"no own participant in {session_id}'s roster"
        time.sleep(0.1)


class TcpProxy:
    """A TCP relay in front of the bridge whose connections the test can cut (a network drop
    without a bridge restart) and refuse until restored."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.up = True
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._shut(sock)

    def _shut(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
        with self._lock:
            self._sockets.discard(sock)

    def cut(self) -> None:
        """Drops every relayed connection and refuses new ones."""
        self.up = False
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        with contextlib.suppress(OSError):
            self.server.close()

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def set_viewport(driver, size: tuple[int, int], mobile: bool = False) -> None:
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def start_chromium():
    chromium = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("chromium and chromedriver are needed (apt-get install chromium chromium-driver)", pytrace=False)
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,800", "--lang=en-US", "--no-first-run", "--disable-extensions",
                     "--password-store=basic"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as error:
        pytest.fail(f"Chromium did not start ({chromium}, {driver_path}): {error.msg}", pytrace=False)
    set_viewport(driver, DESKTOP)
    return driver


# Counts the requests the page sends, by type, so a test can tell "nothing was sent" from "not yet":
# install with driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SEND_COUNTER}).
SEND_COUNTER = """
(() => {
  const counts = window.__sentTypes = {};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try { const type = JSON.parse(data).type; counts[type] = (counts[type] || 0) + 1; } catch (e) {}
    return send.call(this, data);
  };
})();
"""


class Page:
    """The page under test, with explicit waits and numbered screenshots."""

    def __init__(self, driver, base_url: str):
        self.d = driver
        self.base_url = base_url
        self.console: list[dict] = []

    def open(self, base_url: str | None = None) -> None:
        if base_url:
            self.base_url = base_url
        self.d.get(self.base_url + "/")

    def wait(self, condition, what: str, timeout: float = WAIT):
        """Waits until condition(driver) is truthy; fails naming `what`."""
        # A node that moves its own people around re-renders rows under the test's feet: look again.
        return WebDriverWait(self.d, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)) \
            .until(condition, f"timed out waiting for {what}")

    def js(self, script: str, *args):
        return self.d.execute_script(script, *args)

    def el(self, selector: str, root=None):
        return (root or self.d).find_element(By.CSS_SELECTOR, selector)

    def els(self, selector: str, root=None):
        return (root or self.d).find_elements(By.CSS_SELECTOR, selector)

    def status(self) -> dict:
        """The status box: its state attribute (for styling) and what the user reads (innerText, empty when
        the text is not rendered), with whether the text is on screen at all."""
        return self.js("""const s = document.getElementById('bridge-status');
            const t = document.getElementById('bridge-status-text');
            return {state: s.dataset.state, reconnected: s.dataset.reconnected || '',
                    text: t.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) ? t.innerText : '', visible: t.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})};""")

    def wait_online(self, timeout: float = WAIT, reconnected: bool = False) -> None:
        """Waits until the page is online and says so on screen (not only in an attribute)."""
        def online(_):
            status = self.status()
            said = "Bridge is back" in status["text"] if reconnected else \
                status["text"] in ("Connected to the bridge", "Bridge is back: reconnected")
            return status["state"] == "online" and said and (not reconnected or status["reconnected"] == "true")
        self.wait(online, "the page to be connected to the bridge (and to say so)", timeout)

    def displayed(self, selector: str) -> bool:
        found = self.els(selector)
        return bool(found) and found[0].is_displayed()

    def panel(self):
        """The selected session's panel (the one on screen)."""
        return self.wait(lambda d: next((p for p in d.find_elements(By.CSS_SELECTOR, ".session-panel") if p.is_displayed()), None),
                         "a session panel on screen")

    def wait_panel_state(self, state: str, timeout: float = WAIT):
        return self.wait(lambda _: (p := self.panel()).get_attribute("data-state") == state and p,
                         f"the session panel in state {state}", timeout)

    def roster_names(self, session_id: str) -> list[str]:
        """The names the user sees in the session's roster: rendered rows only (innerText; a row that is
        hidden or not rendered does not count)."""
        return self.js("""return [...document.querySelectorAll(`.session-panel[data-session="${arguments[0]}"] li.person .person-name`)]
                          .filter(e => e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})).map(e => e.innerText);""", session_id)

    def wait_roster_count(self, session_id: str, name: str, count: int, timeout: float = WAIT) -> None:
        self.wait(lambda _: self.roster_names(session_id).count(name) == count,
                  f"{name!r} {count} time(s) in the roster", timeout)

    def chat_messages(self, panel) -> list[dict]:
        """The chat log of a panel: [{from, text, classes}], oldest first."""
        return self.js("""return [...arguments[0].querySelectorAll('.chat-log .msg')].filter(m => m.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
                          .map(m => ({from: m.querySelector('.msg-from').innerText, text: m.querySelector('.msg-text').innerText,
                                      classes: [...m.classList]}));""", panel)

    def session_tabs(self) -> list[dict]:
        """The session tabs on screen (rendered ones only), with the text the user reads."""
        return self.js("""return [...document.querySelectorAll('button.session-tab')].filter(b => b.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
                          .map(b => ({id: b.dataset.session, title: b.querySelector('.tab-title').innerText,
                                      sub: b.querySelector('.tab-sub').innerText}));""")

    def sent_types(self) -> dict:
        """How many requests of each type the page sent (needs SEND_COUNTER installed before the page loads)."""
        return self.js("return {...(window.__sentTypes || {})};")

    def notices(self) -> list[str]:
        return [e.text for e in self.els("#notices .notice p")]

    def join_from_form(self, alias: str, display_name: str):
        """Fills the join form (picking the demo room) and submits it; returns the panel shown."""
        self.wait(lambda _: self.displayed("#join-panel"), "the join form")
        self.d.find_element(By.XPATH, f"//input[@name='demo-room'][@value='{alias}']/ancestor::label").click()
        self.wait(lambda _: self.el("#join-alias").get_attribute("value") == alias, f"alias {alias} in the form")
        name = self.el("#join-name")
        name.clear()
        name.send_keys(display_name)
        self.wait(lambda _: self.el("#join-submit").is_enabled(), "the Join button to be enabled")
        self.el("#join-submit").click()
        return self.wait(lambda _: (p := self.panel()).get_attribute("data-state") != "connecting" and p,
                         f"the session for {alias}")

    def join_open_room(self, display_name: str) -> tuple[object, str]:
        """Opens the page, joins meet.open as `display_name` and waits for its own roster row; returns
        (panel, session id)."""
        self.open()
        self.wait_online()
        self.join_from_form("meet.open", display_name)
        panel = self.wait_panel_state("connected")
        session_id = panel.get_attribute("data-session")
        self.wait_roster_count(session_id, display_name, 1)
        return panel, session_id

    def shot(self, name: str, doc: str | None = None) -> Path:
        """Saves artifacts/browser/<name>.png; with PEXBRIDGE_UPDATE_DOCS=1 also docs/screenshots/<doc>."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # The pointer rests where the last click was; move it off the content so no hover shows.
        self.d.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 0, "y": 0})
        self.d.save_screenshot(str(path))
        if doc and UPDATE_DOCS:
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / doc)
        return path

    def axe_violations(self) -> list[str]:
        """Runs axe-core (the copy shipped in the axe-playwright-python wheel) on the page as it is: its
        violations, and the contrast checks it could not decide (`incomplete`: text over an image, a gradient,
        overlapping elements), which count as failures too: a contrast nobody checked is not audited."""
        source = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
        self.d.set_script_timeout(60)
        self.js(source)
        found = self.d.execute_async_script("""const done = arguments[0];
            axe.run(document, {resultTypes: ['violations', 'incomplete']})
              .then(r => done(r.violations.concat(r.incomplete.filter(v => v.id === 'color-contrast'))
                .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')})`)))
              .catch(e => done([`axe failed: ${e}`]));""")
        return found

    def collect_console(self) -> list[dict]:
        self.console += self.d.get_log("browser")
        return self.console

    def assert_clean_console(self, allowed: tuple[str, ...] = ()) -> None:
        """No script errors and no CSP violations in the browser console."""
        bad = [entry["message"] for entry in self.collect_console()
               if entry["level"] == "SEVERE" and not any(pattern in entry["message"] for pattern in allowed)]
        assert not bad, "browser console errors:\n" + "\n".join(bad)
