"""pexbridge's web page in a real browser (headless Chromium, Selenium) against real bridges.

Every step waits explicitly (WebDriverWait) and leaves a screenshot in artifacts/browser/.
The simulator's demo activity moves its own participants at random (those added through its
control API too): the tests only assert on the participants, messages and sessions they create
themselves, and on scripted participants only right after adding them.
"""

from __future__ import annotations

import secrets
import signal
import urllib.error

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from pagekit import DESKTOP, PHONE, SEND_COUNTER, WAIT, Bridge, Page, TcpProxy, WsClient, free_port, set_viewport

CONTROLLER_TOKEN = "SECRETSECRET"
OBSERVER_TOKEN = "OBSERVERSECRET"
# The browser logs a failed WebSocket handshake as an error while the bridge is away.
RECONNECT_NOISE = ("WebSocket connection to", "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE")


def test_join_pin_roster_chat_leave(bridge_url, simulator, driver):
    page = Page(driver, bridge_url)
    # Plain names (the simulator's own participants have others): these screenshots go to the README.
    desk = "Control Room"

    # 1. The page loads, connects, and offers the simulator's demo rooms.
    page.open()
    page.wait_online()
    page.wait(lambda _: len(page.els("#demo-room-list input[type=radio]")) == 8, "the eight demo rooms")
    assert [r.get_attribute("value") for r in page.els("#demo-room-list input[type=radio]")] == \
        ["meet.open", "meet.pin", "meet.hostpin", "meet.waiting", "meet.locked", "meet.reception", "meet.sso",
         "meet.lobby"]
    assert page.el("#join-node").get_attribute("value") == "simulator"
    assert page.el("#join-alias").get_attribute("value") == "meet.open"
    assert page.displayed("#join-panel")
    assert page.el("label[for=join-node]").text == "Conference node"
    page.shot("01-page-loaded")

    # 2. Fill the form: the PIN room, a display name.
    page.d.find_element(By.XPATH, "//input[@name='demo-room'][@value='meet.pin']/ancestor::label").click()
    page.wait(lambda _: page.el("#join-alias").get_attribute("value") == "meet.pin", "meet.pin in the alias field")
    name = page.el("#join-name")
    name.clear()
    name.send_keys(desk)
    page.shot("02-form-filled")
    page.el("#join-submit").click()

    # 3. pin_required: the PIN panel, a password field with the focus, no guest button.
    panel = page.wait_panel_state("pin_required")
    session_id = panel.get_attribute("data-session")
    pin = page.el(".pin-input", panel)
    page.wait(lambda _: pin.is_displayed(), "the PIN field")
    assert pin.get_attribute("type") == "password"
    assert page.el(".pin-title", panel).text == "PIN required"
    assert not page.el(".pin-guest", panel).is_displayed()
    assert page.el(".state-badge", panel).text == "PIN required"
    page.wait(lambda d: d.switch_to.active_element == pin, "the focus on the PIN field")
    page.shot("03-pin-panel", doc="pin-panel.png")

    # 4. A wrong PIN: the error with the attempts left, the field emptied.
    pin.send_keys("0000" + Keys.ENTER)
    error = page.el(".pin-error", panel)
    page.wait(lambda _: "Wrong PIN" in error.text, "the wrong-PIN message")
    assert "4 attempts left" in error.text
    assert error.get_attribute("role") == "alert"
    assert pin.get_attribute("value") == ""
    assert panel.get_attribute("data-state") == "pin_required"
    page.shot("04-wrong-pin")

    # 5. The host PIN: connected, host role, host controls enabled, our own row in the roster.
    pin.send_keys("1234" + Keys.ENTER)
    panel = page.wait_panel_state("connected")
    assert panel.get_attribute("data-session") == session_id
    page.wait(lambda _: page.el(".role-badge", panel).text == "Host", "the host role")
    page.wait_roster_count(session_id, desk, 1)
    for control in (".ctl-lock", ".ctl-mute-guests", ".ctl-disconnect-all"):
        page.wait(lambda _: page.el(control, panel).is_enabled(), f"{control} to be enabled")
    self_row = page.el("li.person.is-self", panel)
    assert self_row.find_element(By.CSS_SELECTOR, ".person-name").text == desk
    page.shot("05-connected")

    # 6. The conference node adds a participant (the simulator's control API, as a guest): its row
    # appears exactly once. A second front end follows every session (it checks the chat below).
    peer_name = "Dana Whitfield"
    peer_uuid = simulator.add_participant("meet.pin", peer_name, role="guest")
    try:
        with WsClient(bridge_url) as watcher:
            assert watcher.request("subscribe")["ok"]
            page.wait_roster_count(session_id, peer_name, 1)
            row = panel.find_element(By.XPATH, f".//li[contains(@class,'person')][.//span[@class='person-name'][text()='{peer_name}']]")
            assert "Guest" in row.find_element(By.CSS_SELECTOR, ".person-meta").text
            assert page.roster_names(session_id).count(desk) == 1
            page.shot("06-participant-joined")

            # 7. Chat: the message shows once, as ours ("You"); the field empties; the bridge
            # publishes it once, from our name; the participant's answer shows under its name.
            text = "Hello from the control room: we start in two minutes."
            chat = page.el(".chat-input", panel)
            chat.send_keys(text + Keys.ENTER)
            page.wait(lambda _: chat.get_attribute("value") == "", "the chat field to empty")
            page.wait(lambda _: text in [m.text for m in page.els(".chat-log .msg.own:not(.pending) .msg-text", panel)],
                      "our chat message, confirmed")
            sent = watcher.wait_event(lambda m: m.get("type") == "message" and m.get("text") == text and m.get("session") == session_id,
                                      what="the message at the other front end")
            assert sent["from"]["display_name"] == desk
            reply = "Thanks, see you then."
            try:
                simulator.chat("meet.pin", reply, from_uuid=peer_uuid)
            except urllib.error.HTTPError:  # the demo activity made the participant leave meanwhile
                simulator.chat("meet.pin", reply, from_name=peer_name)
            page.wait(lambda _: reply in [m.text for m in page.els(".chat-log .msg-text", panel)], "the participant's answer")
            messages = page.chat_messages(panel)
            assert [m["text"] for m in messages].count(text) == 1, messages
            ours = next(m for m in messages if m["text"] == text)
            assert ours["from"] == "You" and "own" in ours["classes"], ours
            theirs = next(m for m in messages if m["text"] == reply)
            assert theirs["from"] == peer_name and "own" not in theirs["classes"], theirs
            assert [m["text"] for m in watcher.events if m.get("type") == "message" and m.get("session") == session_id].count(text) == 1
        # (The simulator's demo activity may have made the participant leave by now: at most once.)
        assert page.roster_names(session_id).count(peer_name) <= 1
        assert page.roster_names(session_id).count(desk) == 1
        page.shot("07-chat-sent", doc="connected.png")

        # The same view on a phone-sized screen.
        set_viewport(page.d, PHONE, mobile=True)
        page.wait(lambda _: page.el(".session-list").size["width"] <= PHONE[0], "the phone layout")
        page.shot("08-phone", doc="phone.png")
        set_viewport(page.d, DESKTOP)
    finally:
        simulator.remove_participant("meet.pin", peer_uuid)
    page.wait_roster_count(session_id, peer_name, 0)

    # 8. Leave: the session disappears from the list and the join form comes back.
    page.el(".leave", panel).click()
    page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the session to disappear")
    page.wait(lambda _: page.displayed("#join-panel"), "the join form after leaving")
    page.wait(lambda _: any("Left the conference" in n for n in page.notices()), "the notice of leaving")
    assert all(t["id"] != session_id for t in page.session_tabs())
    page.shot("09-left")
    page.assert_clean_console()


def test_observer_watch_only(driver):
    tokens = f"{CONTROLLER_TOKEN}:controller,{OBSERVER_TOKEN}:observer"
    bridge = Bridge("auth-1", port=free_port(), tokens=tokens).start()
    try:
        with WsClient(bridge.url, token=CONTROLLER_TOKEN) as controller:
            joined = controller.request("join", node="simulator", alias="meet.open", display_name="Stage Controller")
            assert joined["ok"], joined
            session_id = joined["data"]["session"]["id"]
            page = Page(driver, bridge.url)

            # The bridge requires auth: a token prompt, nothing else.
            page.open()
            page.wait(lambda _: page.displayed("#auth-panel"), "the token prompt")
            assert page.status()["state"] == "auth"
            assert not page.displayed("#join-panel")
            token = page.el("#auth-token")
            assert token.get_attribute("type") == "password"
            page.wait(lambda d: d.switch_to.active_element == token, "the focus on the token field")
            page.shot("10-token-prompt")

            token.send_keys("not-a-token" + Keys.ENTER)
            page.wait(lambda _: "did not accept" in page.el("#auth-error").text, "the refused-token message")
            assert page.displayed("#auth-panel")
            page.shot("11-token-refused")

            # The observer token: watch-only.
            page.el("#auth-token").send_keys(OBSERVER_TOKEN + Keys.ENTER)
            page.wait_online()
            page.wait(lambda _: "Observer" in page.el("#role-badge").text, "the observer badge")
            panel = page.wait_panel_state("connected")
            assert panel.get_attribute("data-session") == session_id
            page.wait_roster_count(session_id, "Stage Controller", 1)
            assert not page.displayed("#join-panel")
            assert not page.displayed("#new-session")
            assert not page.el(".leave", panel).is_displayed()
            for control in (".ctl-lock", ".ctl-mute-guests", ".ctl-disconnect-all"):
                assert not page.el(control, panel).is_enabled(), control
            assert not page.el(".chat-input", panel).is_enabled()
            assert not any(b.is_displayed() for b in page.els(".row-actions button", panel))
            assert "Watch only" in page.el(".controls-note", panel).text
            page.shot("12-observer-watch-only")

            # The controller's chat (the bridge's participant speaking): shown once, under the bridge's
            # participant's name; "You" is only for the page that sent it.
            said = "Observers, stand by."
            assert controller.request("send_message", session=session_id, text=said)["ok"]
            page.wait(lambda _: said in [m["text"] for m in page.chat_messages(panel)], "the controller's message")
            messages = [m for m in page.chat_messages(panel) if m["text"] == said]
            assert len(messages) == 1, messages
            assert messages[0]["from"] == "Stage Controller (this bridge)", messages
            assert "own" not in messages[0]["classes"] and "bridge" in messages[0]["classes"], messages

            # Watching is live: the controller locks the conference, the observer sees it.
            assert controller.request("lock", session=session_id)["ok"]
            page.wait(lambda _: page.el(".chip-lock", panel).text == "Locked", "the lock to show")
            assert controller.request("leave", session=session_id)["ok"]
            page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the session to disappear")
            page.wait(lambda _: page.displayed("#watch-panel"), "the watch-only panel")
            page.shot("13-observer-session-ended")

            other = controller.request("join", node="simulator", alias="meet.hostpin", display_name="Late Show", pin="4321")
            assert other["ok"], other
            page.wait(lambda _: [t["title"] for t in page.session_tabs()] == ["meet.hostpin"], "the new session")

        # A graceful restart: the bridge says goodbye (its sessions end), comes back on the same
        # port, and the page signs in again with the token it has: no second prompt.
        bridge.stop(signal.SIGTERM)
        page.wait(lambda _: page.status()["state"] == "offline", "the page to notice the shutdown")
        page.wait(lambda _: page.session_tabs() == [], "the shut-down sessions to go")
        assert any("The bridge shut down" in n for n in page.notices())
        bridge = Bridge("auth-2", port=bridge.port, tokens=tokens).start()
        page.wait_online(timeout=40, reconnected=True)
        assert not page.displayed("#auth-panel")
        assert "Observer" in page.el("#role-badge").text
        assert page.displayed("#watch-panel")
        page.shot("14-observer-reauthenticated")

        # Sign out, then in again with the controller token: the full page.
        page.el("#sign-out").click()
        page.wait(lambda _: page.displayed("#auth-panel"), "the token prompt after signing out")
        page.el("#auth-token").send_keys(CONTROLLER_TOKEN + Keys.ENTER)
        page.wait(lambda _: page.el("#role-badge").text == "Controller", "the controller badge")
        page.wait(lambda _: page.displayed("#join-panel"), "the join form for a controller")
        assert page.displayed("#new-session")
        page.shot("15-controller-signed-in")
        page.assert_clean_console(allowed=RECONNECT_NOISE)
    finally:
        bridge.stop()


def test_reconnect_after_bridge_restart(driver):
    port = free_port()
    bridge = Bridge("restart-1", port=port).start()
    try:
        page = Page(driver, bridge.url)
        page.open()
        page.wait_online()
        panel = page.join_from_form("meet.open", "Restart Desk")
        page.wait_panel_state("connected")
        first_session = panel.get_attribute("data-session")
        with WsClient(bridge.url) as other:
            assert other.request("join", node="simulator", alias="meet.hostpin", display_name="Other Desk", pin="4321")["ok"]
        page.wait(lambda _: len(page.session_tabs()) == 2, "two sessions in the list")
        page.shot("20-before-restart")

        # The bridge dies without a goodbye: the page keeps the last known state and says so.
        bridge.stop(signal.SIGKILL)
        page.wait(lambda _: page.status()["state"] == "offline", "the page to notice the bridge is gone")
        panel = page.panel()
        assert page.el(".banner-warn", panel).is_displayed()
        assert not page.el(".chat-input", panel).is_enabled()
        assert len(page.session_tabs()) == 2
        page.shot("21-bridge-down")

        # The bridge comes back on the same port: the page reconnects on its own and rebuilds its
        # list from the new bridge's snapshots, where the old sessions no longer exist.
        bridge = Bridge("restart-2", port=port).start()
        page.wait_online(timeout=40, reconnected=True)
        assert "back" in page.status()["text"]
        page.wait(lambda _: page.session_tabs() == [], "the old sessions to disappear")
        assert any("no longer has" in n for n in page.notices())
        page.wait(lambda _: page.displayed("#join-panel"), "the join form")
        page.shot("22-bridge-back")

        with WsClient(bridge.url) as other:
            joined = other.request("join", node="simulator", alias="meet.open", display_name="After Restart")
            assert joined["ok"], joined
            page.wait(lambda _: [t["id"] for t in page.session_tabs()] == [joined["data"]["session"]["id"]],
                      "exactly one entry for the new session")
        panel = page.join_from_form("meet.open", "Restart Desk")
        panel = page.wait_panel_state("connected")
        new_session = panel.get_attribute("data-session")
        assert new_session != first_session
        page.wait_roster_count(new_session, "After Restart", 1)
        page.wait_roster_count(new_session, "Restart Desk", 1)
        assert [t["id"] for t in page.session_tabs()].count(new_session) == 1
        assert len(page.session_tabs()) == 2
        page.shot("23-rebuilt")
        page.assert_clean_console(allowed=RECONNECT_NOISE)
    finally:
        bridge.stop()


def test_resume_after_connection_drop(bridge_url, driver):
    nonce = secrets.token_hex(3)
    desk = f"Resume Desk {nonce}"
    bridge_port = int(bridge_url.rsplit(":", 1)[1])
    with TcpProxy(bridge_port) as proxy, WsClient(bridge_url) as peer:
        page = Page(driver, proxy.url)
        panel, session_id = page.join_open_room(desk)
        peer_name = f"Peer {nonce}"
        joined = peer.request("join", node="simulator", alias="meet.open", display_name=peer_name)
        assert joined["ok"], joined
        peer_session = joined["data"]["session"]["id"]
        page.wait_roster_count(session_id, peer_name, 1)

        # The network drops; the bridge and its sessions stay. Meanwhile someone joins and chats.
        proxy.cut()
        page.wait(lambda _: page.status()["state"] == "offline", "the page to go offline")
        late_name = f"Late Joiner {nonce}"
        away_text = f"Sent while you were away {nonce}"
        with WsClient(bridge_url) as late:
            late_join = late.request("join", node="simulator", alias="meet.open", display_name=late_name)
            assert late_join["ok"], late_join
            late_session = late_join["data"]["session"]["id"]
        assert peer.request("send_message", session=peer_session, text=away_text)["ok"]
        page.shot("30-connection-dropped")

        # Back: the same session, resumed; every row and the missed message exactly once.
        proxy.restore()
        page.wait_online(timeout=40, reconnected=True)
        page.wait_roster_count(session_id, late_name, 1)
        page.wait(lambda _: [m.text for m in page.els(".chat-log .msg-text", page.panel())].count(away_text) == 1,
                  "the missed message, once")
        panel = page.panel()
        assert panel.get_attribute("data-session") == session_id
        assert page.roster_names(session_id).count(peer_name) == 1
        assert page.roster_names(session_id).count(desk) == 1
        assert [t["id"] for t in page.session_tabs()].count(session_id) == 1
        page.shot("31-resumed")

        page.el(".leave", panel).click()
        page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the session to disappear")
        assert peer.request("leave", session=peer_session)["ok"]
        with WsClient(bridge_url) as cleanup:
            assert cleanup.request("leave", session=late_session)["ok"]
        page.assert_clean_console(allowed=RECONNECT_NOISE)


# Installed before the page's scripts: a WebSocket that can lose one session's events and refuse
# its re-subscribes with rate_limited (answered here, as the bridge would).
WS_SHIM = """
(() => {
  const Native = window.WebSocket;
  const shim = window.__wsShim = { session: null, events: 'pass', refuse: 0, subscribes: 0, refused: 0, times: [] };
  const forSession = (data) => {
    try {
      const message = JSON.parse(data);
      return message && message.session === shim.session ? message : null;
    } catch {
      return null;
    }
  };
  window.WebSocket = class extends Native {
    addEventListener(type, listener, options) {
      if (type !== 'message') return super.addEventListener(type, listener, options);
      return super.addEventListener('message', (event) => {
        const message = shim.session && forSession(event.data);
        if (message && message.type !== 'result') {
          // 'drop-one': lose one event, let the next one show the gap, then lose all of them.
          if (shim.events === 'drop-one') { shim.events = 'pass-one'; return; }
          if (shim.events === 'pass-one') shim.events = 'block';
          else if (shim.events === 'block') return;
        }
        listener.call(this, event);
      }, options);
    }
    send(data) {
      const message = shim.session && forSession(data);
      if (message && message.type === 'subscribe') {
        shim.subscribes += 1;
        shim.times.push(performance.now());
        if (shim.refuse > 0) {
          shim.refuse -= 1;
          shim.refused += 1;
          const answer = { type: 'result', id: message.id, ok: false, error: { code: 'rate_limited', message: 'too many requests; slow down' } };
          setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(answer) })), 0);
          return;
        }
      }
      return super.send(data);
    }
  };
})();
"""


def test_resync_retries_after_refusal(bridge_url, driver):
    """A gap in a session's events makes the page re-subscribe; refused (rate_limited), it tries
    again with a growing delay and rebuilds the roster, with no further event to prompt it."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WS_SHIM})
    nonce = secrets.token_hex(3)
    desk = f"Resync Desk {nonce}"
    page = Page(driver, bridge_url)
    panel, session_id = page.join_open_room(desk)

    # One event is lost, the next shows the gap, every later one is lost too: only the snapshot of
    # a re-subscribe can bring the roster up to date, and the first two are refused. (Two more
    # sessions join: API participants, which the demo activity leaves alone.)
    page.js("Object.assign(window.__wsShim, {session: arguments[0], events: 'drop-one', refuse: 2});", session_id)
    names = [f"Gap One {nonce}", f"Gap Two {nonce}"]
    joined = []
    with WsClient(bridge_url) as other:
        try:
            for name in names:
                result = other.request("join", node="simulator", alias="meet.open", display_name=name)
                assert result["ok"], result
                joined.append(result["data"]["session"]["id"])
            page.wait(lambda _: page.js("return window.__wsShim.refused") == 2, "two refused re-subscribes")
            for name in names:
                page.wait_roster_count(session_id, name, 1)
            shim = page.js("return {...window.__wsShim};")
            assert shim["subscribes"] >= 3, shim
            assert shim["events"] == "block", shim
            # The delay grows: at least the first retry delay (500 ms) before the second try, at least twice it
            # before the third. (Lower bounds only: a timer never fires early; a busy machine only adds.)
            first_gap = shim["times"][1] - shim["times"][0]
            second_gap = shim["times"][2] - shim["times"][1]
            assert first_gap >= 450, shim["times"]
            assert second_gap >= 950, shim["times"]
            assert second_gap > first_gap, shim["times"]
            page.shot("24-resynced-after-refusal")
            page.js("window.__wsShim.events = 'pass';")
        finally:
            for other_session in joined:
                assert other.request("leave", session=other_session)["ok"]
    page.wait_roster_count(session_id, names[0], 0)
    page.el(".leave", panel).click()
    page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the session to disappear")
    page.assert_clean_console()


def test_pin_optional_guest_and_pin_lockout(bridge_url, driver):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SEND_COUNTER})
    page = Page(driver, bridge_url)
    page.open()
    page.wait_online()

    # pin_optional: the host PIN, or join as a guest without one.
    page.join_from_form("meet.hostpin", "Lobby Screen")
    panel = page.wait_panel_state("pin_optional")
    session_id = panel.get_attribute("data-session")
    assert page.el(".pin-title", panel).text == "Host PIN or guest"
    guest = page.el(".pin-guest", panel)
    assert guest.is_displayed()
    page.shot("40-pin-optional")
    # An empty field is no choice: Enter or "Join as host" says what to do and sends nothing; only
    # the guest button joins without a PIN.
    pin = page.el(".pin-input", panel)
    error = page.el(".pin-error", panel)
    page.wait(lambda d: d.switch_to.active_element == pin, "the focus on the PIN field")
    pin.send_keys(Keys.ENTER)
    page.wait(lambda _: "Enter the host PIN, or join as guest" in error.text, "the empty-PIN hint")
    assert pin.get_attribute("aria-invalid") == "true"
    page.el(".pin-input", panel).send_keys("1")  # typing clears the hint
    page.wait(lambda _: error.text == "", "the hint to clear")
    pin.clear()
    submit = page.el(".pin-submit", panel)
    assert submit.text == "Join as host"
    submit.click()
    page.wait(lambda _: "Enter the host PIN, or join as guest" in error.text, "the empty-PIN hint again")
    # Counted, not waited for: a click handler that sent "" would have done so before the hint showed.
    assert page.sent_types().get("pin", 0) == 0, page.sent_types()
    assert panel.get_attribute("data-state") == "pin_optional"
    assert not page.el(".role-badge", panel).is_displayed()
    page.shot("40b-pin-optional-empty")
    guest.click()
    panel = page.wait_panel_state("connected")
    assert page.sent_types().get("pin", 0) == 1, page.sent_types()  # the guest button's one request
    page.wait(lambda _: page.el(".role-badge", panel).text == "Guest", "the guest role")
    page.wait_roster_count(session_id, "Lobby Screen", 1)
    assert not page.el(".host-controls", panel).is_displayed()
    assert "host role" in page.el(".controls-note", panel).text
    assert not any(b.is_displayed() for b in page.els(".row-actions button", panel))
    assert page.el(".chat-input", panel).is_enabled()  # guests may chat
    page.shot("41-joined-as-guest")
    page.el(".leave", panel).click()
    page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the guest session to go")

    # Five wrong PINs in a row: the bridge ends the session, the page says why.
    page.join_from_form("meet.hostpin", "Lobby Screen")
    panel = page.wait_panel_state("pin_optional")
    session_id = panel.get_attribute("data-session")
    pin = page.el(".pin-input", panel)
    error = page.el(".pin-error", panel)
    for left in (4, 3, 2, 1):
        pin.send_keys("9999" + Keys.ENTER)
        expected = "1 attempt left." if left == 1 else f"{left} attempts left."
        page.wait(lambda _: expected in error.text, f"'{expected}'")
        assert pin.get_attribute("value") == ""
    pin.send_keys("9999" + Keys.ENTER)
    page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the session to end")
    page.wait(lambda _: any("Too many wrong PINs" in n for n in page.notices()), "the reason")
    page.wait(lambda _: page.displayed("#join-panel"), "the join form")
    page.shot("42-pin-lockout")
    page.assert_clean_console()


STORE_RULES = """
const done = arguments[arguments.length - 1];
import('/lib/session-store.js').then(({ SessionStore }) => {
  const out = [];
  const check = (name, ok) => out.push([name, Boolean(ok)]);
  const person = (uuid, extra = {}) => ({ uuid, display_name: uuid.toUpperCase(), role: 'guest', muted: false,
    presenting: false, spotlight: false, service_type: 'conference', ...extra });
  const snapshot = (id, seq, participants, extra = {}) => ({ id, seq, state: 'connected', node: 'simulator',
    alias: 'meet.x', display_name: 'T', role: 'host', pin: null, error: null, participants,
    conference: { locked: false, guests_muted: false, started: true }, capabilities: { lock: true }, ...extra });
  const store = new SessionStore();
  const ids = () => store.list().map((s) => s.id).join();
  const roster = (id) => [...store.get(id).participants.keys()].join();

  store.upsertSnapshot(snapshot('s1', 5, [person('a')]));
  check('the next seq applies', store.applyEvent({ type: 'participant_joined', session: 's1', seq: 6, participant: person('b') }) === 'applied');
  check('a repeated seq is stale', store.applyEvent({ type: 'participant_joined', session: 's1', seq: 6, participant: person('b') }) === 'stale');
  check('no duplicate row', roster('s1') === 'a,b');
  check('an update keeps the row in place', store.applyEvent({ type: 'participant_updated', session: 's1', seq: 7, participant: person('a', { muted: true }) }) === 'applied'
    && roster('s1') === 'a,b' && store.get('s1').participants.get('a').muted);
  check('a gap is detected', store.applyEvent({ type: 'participant_left', session: 's1', seq: 9, uuid: 'a' }) === 'gap');
  check('a gap is not applied', store.get('s1').seq === 7 && roster('s1') === 'a,b');
  check('an older snapshot is ignored', store.upsertSnapshot(snapshot('s1', 3, [])) && roster('s1') === 'a,b');
  store.upsertSnapshot(snapshot('s1', 9, [person('b'), person('c')]), { force: true });
  check('the resync snapshot replaces the roster', roster('s1') === 'b,c' && store.get('s1').seq === 9);

  store.applyEvent({ type: 'message', session: 's1', seq: 10, from: { uuid: 'b', display_name: 'B' }, text: 'one' });
  store.applyEvent({ type: 'message', session: 's1', seq: 10, from: { uuid: 'b', display_name: 'B' }, text: 'one' });
  store.upsertSnapshot(snapshot('s1', 12, [person('b')]), { force: true });
  check('chat survives a snapshot, once', store.get('s1').messages.map((m) => m.text).join('|') === 'one');
  store.applyEvent({ type: 'message', session: 's1', seq: 11, from: { uuid: 'b', display_name: 'B' }, text: 'two' });
  check('a replayed message is added in order', store.get('s1').messages.map((m) => m.text).join('|') === 'one|two');

  // The bridge echoes its participant's chat (before the send's result): the page that sent it
  // shows it once, as its own; other pages label it as the bridge's.
  store.upsertSnapshot(snapshot('s1', 12, [person('b'), person('me', { self: true, display_name: 'Desk 3' })]), { force: true });
  const s1 = store.get('s1');
  const texts = () => s1.messages.map((m) => m.text).join('|');
  const pending = s1.addLocalMessage('mine');
  check('a sent message shows at once, pending', texts() === 'one|two|mine' && s1.messages[2].status === 'sending' && s1.messages[2].own);
  store.applyEvent({ type: 'message', session: 's1', seq: 13, from: { uuid: 'me', display_name: 'Desk 3' }, text: 'mine' });
  s1.settleLocalMessage(pending, { ok: true });
  const mine = s1.messages.find((m) => m.text === 'mine');
  check('the echo replaces the pending copy: once, own', texts() === 'one|two|mine' && mine.own && !mine.bridge && !mine.local && mine.seq === 13);
  store.applyEvent({ type: 'message', session: 's1', seq: 14, from: { uuid: 'me', display_name: 'Desk 3' }, text: 'from elsewhere' });
  const other = s1.messages.find((m) => m.text === 'from elsewhere');
  check("the bridge participant's other chat is the bridge's, not own", !other.own && other.bridge);
  const refused = s1.addLocalMessage('refused');
  s1.settleLocalMessage(refused, { ok: false, error: { code: 'rate_limited', message: 'slow down' } });
  check('a refused send leaves no copy', !texts().includes('refused'));
  const lost = s1.addLocalMessage('lost');
  s1.settleLocalMessage(lost, { ok: false, error: { code: 'connection_lost', message: 'gone' } });
  check('a send lost with the connection leaves no copy', !texts().includes('lost'));
  store.applyEvent({ type: 'message', session: 's1', seq: 15, from: { uuid: 'me', display_name: 'Desk 3' }, text: 'lost' });
  check('its replayed echo is still own', s1.messages.find((m) => m.text === 'lost')?.own === true);

  store.applyEvent({ type: 'state', session: 's1', seq: 16, state: 'connected', capabilities: { lock: false } });
  check('capabilities follow state events', store.get('s1').can('lock') === false);

  check('a first event creates a session', store.applyEvent({ type: 'state', session: 's2', seq: 1, state: 'connecting', node: 'n', alias: 'meet.y', display_name: 'D' }) === 'applied');
  store.applyEvent({ type: 'state', session: 's2', seq: 2, state: 'pin_required', pin: { host: true, guest: true }, pin_attempts_left: 5 });
  store.applyEvent({ type: 'state', session: 's2', seq: 3, state: 'pin_required', error: { code: 'invalid_pin', attempts_left: 4 }, pin_attempts_left: 4 });
  check('a wrong PIN is kept with the attempts left', store.get('s2').error.code === 'invalid_pin' && store.get('s2').pinAttemptsLeft === 4);
  store.applyEvent({ type: 'state', session: 's2', seq: 4, state: 'connected', role: 'guest' });
  check('the right PIN clears the error', store.get('s2').error === null && store.get('s2').role === 'guest' && store.get('s2').pin === null);
  check('an unknown session needs a snapshot', store.applyEvent({ type: 'participant_left', session: 's3', seq: 4, uuid: 'x' }) === 'unknown');
  check('a final state removes the session', store.applyEvent({ type: 'state', session: 's2', seq: 5, state: 'disconnected', reason: 'left' }) === 'ended' && !store.get('s2'));
  check('a late snapshot of an ended session is ignored', store.upsertSnapshot(snapshot('s2', 4, [])) === null && ids() === 's1');

  store.reconcile([snapshot('s4', 3, [person('z')])]);
  check('reconcile keeps only what the bridge lists', ids() === 's4' && roster('s4') === 'z');
  done(out);
}).catch((error) => done([['import the store: ' + error, false]]));
"""


def test_session_store_rules_in_browser(bridge_url, driver):
    """The page's sequence rules (apply, stale, gap, replace, chat once), run in the browser itself."""
    page = Page(driver, bridge_url)
    page.open()
    page.wait_online()
    driver.set_script_timeout(WAIT)
    results = driver.execute_async_script(STORE_RULES)
    assert len(results) >= 24, results
    failed = [name for name, ok in results if not ok]
    assert not failed, f"store rules failed: {failed}"


def test_accessibility_axe(bridge_url, driver):
    """axe-core finds nothing on the join form, the PIN panel with its error, and the connected view
    (light, dark, phone): labels, roles, names, contrast, landmarks."""
    # Reduced motion: no colour transition is caught half-way by the contrast check.
    calm = {"name": "prefers-reduced-motion", "value": "reduce"}
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [calm]})
    page = Page(driver, bridge_url)
    page.open()
    page.wait_online()
    page.wait(lambda _: len(page.els("#demo-room-list input[type=radio]")) == 8, "the demo rooms")
    audits = {"join form": page.axe_violations()}
    panel = page.join_from_form("meet.pin", "Audit Desk")
    panel = page.wait_panel_state("pin_required")
    session_id = panel.get_attribute("data-session")
    page.el(".pin-input", panel).send_keys("0000" + Keys.ENTER)
    page.wait(lambda _: "Wrong PIN" in page.el(".pin-error", panel).text, "the wrong-PIN message")
    audits["PIN panel"] = page.axe_violations()
    page.el(".pin-input", panel).send_keys("5678" + Keys.ENTER)
    panel = page.wait_panel_state("connected")
    page.wait_roster_count(session_id, "Audit Desk", 1)
    page.el(".chat-input", panel).send_keys("Accessibility check" + Keys.ENTER)
    page.wait(lambda _: page.els(".chat-log .msg.own", panel), "the chat message")
    audits["connected"] = page.axe_violations()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [calm, {"name": "prefers-color-scheme", "value": "dark"}]})
    audits["connected, dark"] = page.axe_violations()
    set_viewport(driver, PHONE, mobile=True)
    audits["connected, dark, phone"] = page.axe_violations()
    page.el(".leave", panel).click()
    page.wait(lambda _: not page.els(f'[data-session="{session_id}"]'), "the session to go")
    found = {view: violations for view, violations in audits.items() if violations}
    assert not found, "accessibility violations:\n" + "\n".join(f"{view}: {v}" for view, vs in found.items() for v in vs)
