"""The wall dashboard (/dashboard) in a real browser against real bridges: twenty sessions as tiles whose
content is checked against what the bridge itself reports (its `list`), upstream changes made through the
simulator's control API, sessions leaving and arriving, a dropped WebSocket, an observer token from the
address, and the axe audit.

The simulator's demo activity moves its own participants at random: counts are compared with the bridge's
`list` taken at the same moment (waiting until they agree), and named participants only right after the
test adds them.
"""

from __future__ import annotations

import secrets
import urllib.request

from selenium.webdriver.common.keys import Keys

from pagekit import WAIT, Bridge, Page, Simulator, TcpProxy, WsClient, free_port, own_participant, set_viewport

OBSERVER_TOKEN = "WALLOBSERVERSECRET"
CONTROLLER_TOKEN = "WALLCONTROLLERSECRET"
RECONNECT_NOISE = ("WebSocket connection to", "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE")
WALL = (1920, 1080)
STATE_LABELS = {"connected": "Connected", "pin_required": "PIN required", "pin_optional": "PIN or guest",
                "connecting": "Connecting"}

TILES = """
const seen = (e) => e && e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
const fact = (t, key) => { const row = t.querySelector(`.fact-${key}`); return seen(row) ? row.querySelector('dd').innerText : null; };
return [...document.querySelectorAll('#wall-tiles .tile')].filter(seen).map((t) => ({
  id: t.dataset.session, title: t.querySelector('.tile-title').innerText,
  state: t.querySelector('.tile-state').innerText, count: t.querySelector('.count-num').innerText,
  sub: t.querySelector('.tile-sub').innerText,
  presenter: fact(t, 'presenter'), speaking: fact(t, 'speaking'), hands: fact(t, 'hands'),
  chips: [...t.querySelectorAll('.tile-chip')].filter(seen).map((c) => c.innerText), health: t.dataset.health,
}));
"""


class Wall(Page):
    """The dashboard page: its tiles as the user reads them."""

    def open(self, base_url: str | None = None, fragment: str = "") -> None:
        if base_url:
            self.base_url = base_url
        self.d.get(self.base_url + "/dashboard" + fragment)

    def tiles(self) -> dict[str, dict]:
        return {tile["id"]: tile for tile in self.js(TILES)}

    def wall_status(self) -> str:
        return self.js("return document.getElementById('wall-status-text').innerText;")

    def offline_band(self) -> bool:
        return self.displayed("#wall-offline")

    def wait_live(self, timeout: float = WAIT, reconnected: bool = False) -> None:
        expected = ("Live: reconnected",) if reconnected else ("Live", "Live: reconnected")
        self.wait(lambda _: self.wall_status() in expected and not self.offline_band(), f"the wall to say {expected}",
                  timeout)


def bridge_view(client: WsClient) -> dict[str, dict]:
    """What the bridge itself says about every session (its `list`), in the tile's terms."""
    result = client.request("list")
    assert result["ok"], result
    view = {}
    for snapshot in result["data"]["sessions"]:
        people = [p for p in snapshot["participants"] if p.get("service_type") != "waiting_room"]
        presenter = next((p["display_name"] for p in snapshot["participants"] if p.get("presenting")), None)
        presentation = snapshot.get("presentation")
        if presentation is not None:
            presenter = (presentation.get("presenter") or {}).get("display_name") if presentation.get("active") else None
        view[snapshot["id"]] = {
            "title": snapshot["alias"], "state": STATE_LABELS.get(snapshot["state"], snapshot["state"]),
            "count": str(len(people)) if snapshot["state"] == "connected" else "–",
            "presenter": (presenter or "No one presenting") if snapshot["state"] == "connected" else None,
            "locked": bool((snapshot.get("conference") or {}).get("locked")),
            "names": [p["display_name"] for p in snapshot["participants"]],
        }
    return view


def mismatches(wall: Wall, client: WsClient, ids=None) -> list[str]:
    """Where the tiles and the bridge disagree (ids: only these sessions; the set of tiles is always compared)."""
    bridge = bridge_view(client)
    tiles = wall.tiles()
    found = []
    if set(tiles) != set(bridge):
        found.append(f"tiles {sorted(set(tiles) - set(bridge))} not on the bridge, "
                     f"sessions {sorted(set(bridge) - set(tiles))} without a tile")
    for sid in (ids if ids is not None else bridge):
        if sid not in tiles or sid not in bridge:
            continue
        tile, truth = tiles[sid], bridge[sid]
        for key in ("title", "state", "count", "presenter"):
            if tile[key] != truth[key]:
                found.append(f"{sid} {key}: tile {tile[key]!r}, bridge {truth[key]!r}")
        if truth["state"] == "Connected" and ("Locked" in tile["chips"]) != truth["locked"]:
            found.append(f"{sid} locked: tile {tile['chips']}, bridge {truth['locked']}")
    return found


def wait_agree(wall: Wall, client: WsClient, what: str, ids=None, timeout: float = 25) -> None:
    last: list[list[str]] = [[]]

    def agree(_):
        last[0] = mismatches(wall, client, ids)
        return not last[0]

    try:
        wall.wait(agree, what, timeout)
    except Exception as error:  # noqa: BLE001 (re-raised with what disagreed)
        raise AssertionError(f"{what}: {last[0]}") from error


def test_dashboard_twenty_sessions(driver):
    # A bridge of its own: exactly these twenty sessions, whatever other tests left on the shared one.
    with Bridge("wall-20") as bridge:
        run_twenty_sessions(bridge.url, Simulator(bridge.simulator_url), driver)


def run_twenty_sessions(bridge_url: str, simulator: Simulator, driver) -> None:
    nonce = secrets.token_hex(3)
    bridge_port = int(bridge_url.rsplit(":", 1)[1])
    # Twenty sessions through the bridge: most in the open room, hosts in the host-PIN room, two PIN-room
    # hosts and one left at its PIN prompt.
    plan = [("meet.open", None)] * 14 + [("meet.hostpin", "4321")] * 3 + [("meet.pin", "1234")] * 2 + [("meet.pin", None)]
    with TcpProxy(bridge_port) as proxy, WsClient(bridge_url) as desk, WsClient(bridge_url) as watcher:
        assert watcher.request("subscribe")["ok"]
        mine: dict[str, str] = {}
        added: list[tuple[str, str]] = []
        try:
            for index, (alias, pin) in enumerate(plan, start=1):
                fields = {"node": "simulator", "alias": alias, "display_name": f"Wall {index:02d} {nonce}"}
                if pin:
                    fields["pin"] = pin
                result = desk.request("join", **fields)
                assert result["ok"], result
                mine[result["data"]["session"]["id"]] = alias
            assert len(mine) == 20
            pin_waiting = [sid for sid, alias in mine.items() if alias == "meet.pin"][-1]

            set_viewport(driver, WALL)
            wall = Wall(driver, proxy.url)
            wall.open()
            wall.wait_live()
            wait_agree(wall, desk, "every session on the bridge as a tile, matching the bridge")
            tiles = wall.tiles()
            assert set(mine) == set(tiles)
            assert tiles[pin_waiting]["state"] == "PIN required" and tiles[pin_waiting]["count"] == "–"
            some_host = next(sid for sid, alias in mine.items() if alias == "meet.hostpin")
            assert "Host" in tiles[some_host]["sub"], tiles[some_host]
            assert any(chip.startswith("Node link") for chip in tiles[some_host]["chips"]), tiles[some_host]
            # Every tile is on the wall screen at once (the grid fits them), none cut off at the bottom.
            assert wall.js("""const r = [...document.querySelectorAll('#wall-tiles .tile')].map(t => t.getBoundingClientRect());
                              return r.every(b => b.bottom <= innerHeight && b.right <= innerWidth);"""), "a tile off screen"
            assert "sessions" in wall.el("#wall-totals").text
            wall.shot("60-dashboard")

            # Upstream: a participant joins the host-PIN room (its three tiles count it, as the bridge does),
            # then one of this test's own sessions in that room presents (the demo activity leaves the
            # bridge's participants alone); the room gets locked.
            hostpin = [sid for sid, alias in mine.items() if alias == "meet.hostpin"]
            newcomer = f"Wall Newcomer {nonce}"
            added.append(("meet.hostpin", simulator.add_participant("meet.hostpin", newcomer)))
            wall.wait(lambda _: all(newcomer in bridge_view(desk)[sid]["names"] for sid in hostpin),
                      "the bridge to list the new participant")
            wait_agree(wall, desk, "the host-PIN tiles' counts after the join", hostpin)
            presenting_session = hostpin[0]
            own = own_participant(desk, presenting_session)
            presenter = own["display_name"]
            uuid = own["uuid"]
            simulator.post(f"rooms/meet.hostpin/participants/{uuid}/present")
            wall.wait(lambda _: all(wall.tiles()[sid]["presenter"] == presenter for sid in hostpin),
                      "the presenter on the host-PIN tiles")
            wait_agree(wall, desk, "the presenter, as the bridge has it", hostpin)
            simulator.post("rooms/meet.hostpin/lock")
            wall.wait(lambda _: all("Locked" in wall.tiles()[sid]["chips"] for sid in hostpin), "the lock on the tiles")
            assert all("Unlocked" in t["chips"] for sid, t in wall.tiles().items()
                       if mine.get(sid) == "meet.open"), "a lock in one room showed in another"
            wall.shot("61-dashboard-presenting-locked")

            # The node's event stream drops and cannot come back for a moment: the PIN-room tiles say so.
            pin_connected = [sid for sid, alias in mine.items() if alias == "meet.pin" and sid != pin_waiting]
            simulator.post("rooms/meet.pin/refuse-streams", on=True)
            try:
                simulator.post("rooms/meet.pin/drop-streams")
                watcher.wait_event(lambda m: m.get("type") == "upstream" and m.get("session") in pin_connected
                                   and m.get("status") == "reconnecting", what="the bridge's upstream report")
                wall.wait(lambda _: all(wall.tiles()[sid]["health"] == "warn" and any(
                    c.startswith("Node link lost") for c in wall.tiles()[sid]["chips"]) for sid in pin_connected),
                    "the node link trouble on the PIN-room tiles")
                assert all(wall.tiles()[sid]["health"] == "ok" for sid in hostpin)
                wall.shot("62-dashboard-upstream-trouble", doc="dashboard.png")
            finally:
                simulator.post("rooms/meet.pin/refuse-streams", on=False)
            wall.wait(lambda _: all("Node link OK" in wall.tiles()[sid]["chips"] for sid in pin_connected),
                      "the node link back", timeout=30)

            # A session leaves: its tile goes.
            leaving = next(sid for sid, alias in mine.items() if alias == "meet.open")
            assert desk.request("leave", session=leaving)["ok"]
            mine.pop(leaving)
            wall.wait(lambda _: leaving not in wall.tiles(), "the tile of the session that left to go")
            wait_agree(wall, desk, "the tiles after a leave")

            # Keyboard: the tiles are in the tab order and the arrow keys walk the grid.
            first, second = list(wall.tiles())[:2]
            wall.js("document.querySelector(`.tile[data-session='${arguments[0]}']`).focus();", first)
            wall.d.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
            assert wall.d.switch_to.active_element.get_attribute("data-session") == second

            # The WebSocket drops (the bridge stays): the wall says it is reconnecting; meanwhile a session
            # leaves, another joins and the presenter stops. Back, everything agrees again.
            proxy.cut()
            wall.wait(lambda _: wall.offline_band() and wall.wall_status().startswith("Reconnecting"),
                      "the reconnecting state on screen")
            assert "Reconnecting to the bridge" in wall.el("#wall-offline").text
            wall.shot("63-dashboard-reconnecting")
            gone = next(sid for sid, alias in mine.items() if alias == "meet.open")
            assert desk.request("leave", session=gone)["ok"]
            mine.pop(gone)
            late = desk.request("join", node="simulator", alias="meet.open", display_name=f"Wall Late {nonce}")
            assert late["ok"], late
            late_id = late["data"]["session"]["id"]
            mine[late_id] = "meet.open"
            simulator.post(f"rooms/meet.hostpin/participants/{uuid}/stop-presenting")
            assert gone in wall.tiles() and late_id not in wall.tiles()  # still the last known state
            proxy.restore()
            wall.wait_live(timeout=40, reconnected=True)
            wall.wait(lambda _: gone not in wall.tiles() and late_id in wall.tiles(), "the wall rebuilt after the drop")
            # (Not "no one": a node with demo presentations may have someone else presenting by now.)
            wall.wait(lambda _: all(wall.tiles()[sid]["presenter"] != presenter for sid in hostpin),
                      "the presentation's end seen after the reconnect")
            wait_agree(wall, desk, "the tiles after the reconnect")
            assert wall.axe_violations() == []
            wall.assert_clean_console(allowed=RECONNECT_NOISE)
        finally:
            with_errors = []
            for alias, participant in added:
                simulator.remove_participant(alias, participant)
            simulator.post("rooms/meet.hostpin/unlock")
            for sid in mine:
                result = desk.request("leave", session=sid)
                if not result["ok"] and result["error"]["code"] != "unknown_session":
                    with_errors.append(result)
            assert not with_errors, with_errors


def test_dashboard_observer_token_and_headers(driver):
    tokens = f"{CONTROLLER_TOKEN}:controller,{OBSERVER_TOKEN}:observer"
    bridge = Bridge("wall-auth", port=free_port(), tokens=tokens).start()
    try:
        # Served with the main page's security headers.
        with urllib.request.urlopen(bridge.url + "/dashboard", timeout=10) as response:
            wall_headers = response.headers
            assert response.status == 200
            assert "text/html" in wall_headers["Content-Type"]
        with urllib.request.urlopen(bridge.url + "/", timeout=10) as response:
            page_headers = response.headers
        for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"):
            assert wall_headers[name] == page_headers[name], name

        with WsClient(bridge.url, token=CONTROLLER_TOKEN) as controller:
            joined = controller.request("join", node="simulator", alias="meet.open", display_name="Wall Controller")
            assert joined["ok"], joined
            session_id = joined["data"]["session"]["id"]

            # The token in the address: signed in without a prompt, the token gone from the address bar.
            wall = Wall(driver, bridge.url)
            wall.open(fragment=f"#token={OBSERVER_TOKEN}")
            wall.wait_live()
            assert OBSERVER_TOKEN not in driver.current_url
            assert not wall.displayed("#wall-auth")
            wall.wait(lambda _: session_id in wall.tiles(), "the controller's session as a tile")
            assert wall.tiles()[session_id]["title"] == "meet.open"
            wall.wait(lambda _: "Locked" not in wall.tiles()[session_id]["chips"], "the unlocked chip")
            assert controller.request("lock", session=session_id)["ok"]
            wall.wait(lambda _: "Locked" in wall.tiles()[session_id]["chips"], "the lock, live")

            # Sign out: the prompt; a wrong token is refused, the observer token works, by keyboard alone.
            wall.el("#wall-sign-out").click()
            wall.wait(lambda _: wall.displayed("#wall-auth"), "the token prompt")
            assert not wall.tiles()
            token = wall.el("#wall-token")
            wall.wait(lambda d: d.switch_to.active_element == token, "the focus on the token field")
            token.send_keys("not-a-token" + Keys.ENTER)
            wall.wait(lambda _: "did not accept" in wall.el("#wall-auth-error").text, "the refused token")
            assert wall.axe_violations() == []
            wall.shot("64-dashboard-sign-in")
            wall.el("#wall-token").send_keys(OBSERVER_TOKEN + Keys.ENTER)
            wall.wait_live()
            wall.wait(lambda _: session_id in wall.tiles(), "the tile after signing in")
            assert controller.request("leave", session=session_id)["ok"]
            wall.wait(lambda _: session_id not in wall.tiles(), "the tile to go")
            wall.wait(lambda _: wall.displayed("#wall-empty"), "the empty wall")
            wall.assert_clean_console(allowed=RECONNECT_NOISE)
    finally:
        bridge.stop()


CONFERENCE_STORE_RULES = """
const done = arguments[arguments.length - 1];
Promise.all([import('/lib/session-store.js'), import('/lib/dashboard-tiles.js')]).then(([{ SessionStore }, { tileFacts }]) => {
  const out = [];
  const check = (name, ok) => out.push([name, Boolean(ok)]);
  const person = (uuid, extra = {}) => ({ uuid, display_name: uuid.toUpperCase(), role: 'guest', muted: false,
    presenting: false, spotlight: false, service_type: 'conference', ...extra });
  const snapshot = (id, seq, participants, extra = {}) => ({ id, seq, state: 'connected', node: 'simulator',
    alias: 'meet.x', display_name: 'T', role: 'host', pin: null, error: null, participants,
    conference: { locked: false, guests_muted: false, started: true }, capabilities: {}, ...extra });
  const store = new SessionStore();

  // A bridge without issue 11: nothing about hands, speakers or a presentation is claimed.
  store.upsertSnapshot(snapshot('old', 3, [person('a'), person('b', { presenting: true })]));
  let facts = tileFacts(store.get('old'));
  check('old bridge: hands unknown', !facts.handsKnown && facts.hands.length === 0);
  check('old bridge: speakers unknown', facts.speakers === null);
  check('old bridge: the presenter from the participant flag', facts.presenter?.uuid === 'b');

  // With issue 11: hands in raise order, speakers as names, the presentation event wins.
  store.upsertSnapshot(snapshot('s', 5, [person('a', { hand_raised_at: 200.5 }), person('b', { hand_raised_at: 100 }), person('c', { hand_raised_at: null })],
    { speakers: ['c'], presentation: { active: false, presenter: null }, layout: { layout: '1:7' } }));
  facts = tileFacts(store.get('s'));
  check('hands in the order they went up', facts.handsKnown && facts.hands.map((p) => p.uuid).join() === 'b,a');
  check('speakers from the snapshot', facts.speakers.map((p) => p.uuid).join() === 'c');
  check('no presenter while the presentation is off', facts.presenter === null);
  check('speakers (no seq) apply without touching seq', store.applyEvent({ type: 'speakers', session: 's', participants: ['a', 'b'] }) === 'ephemeral'
    && store.get('s').seq === 5 && store.get('s').speakers.join() === 'a,b');
  check('an ephemeral event of an unknown session is ignored', store.applyEvent({ type: 'speakers', session: 'nope', participants: [] }) === 'ephemeral' && !store.get('nope'));
  check('captions kept, latest', store.applyEvent({ type: 'captions', session: 's', text: 'hello', final: true }) === 'ephemeral' && store.get('s').captions.text === 'hello');
  store.applyEvent({ type: 'presentation', session: 's', seq: 6, active: true, presenter: { uuid: 'z', display_name: 'Zed' } });
  check('the presentation event names the presenter', tileFacts(store.get('s')).presenter.display_name === 'Zed' && store.get('s').seq === 6);
  store.applyEvent({ type: 'layout', session: 's', seq: 7, layout: '4:0', host_layout: null, guest_layout: null, overlay_text_enabled: true });
  check('the layout event', store.get('s').layout.layout === '4:0' && store.get('s').layout.overlay_text_enabled === true);
  store.applyEvent({ type: 'conference', session: 's', seq: 8, locked: true, guests_muted: false, started: true, guests_can_unmute: true, presentation_allowed: null });
  check('new conference fields kept', store.get('s').conference.guests_can_unmute === true && store.get('s').conference.locked);

  // The node link's health: not in snapshots, so a replayed `upstream` after a resubscribe still counts, once.
  store.applyEvent({ type: 'upstream', session: 's', seq: 9, status: 'reconnecting', attempt: 2 });
  check('upstream in order', store.get('s').upstream.status === 'reconnecting' && tileFacts(store.get('s')).upstream.attempt === 2);
  store.upsertSnapshot(snapshot('s', 12, [person('a')]), { force: true });
  check('a snapshot keeps the last known node link', store.get('s').upstream.status === 'reconnecting');
  check('a replayed upstream older than the snapshot applies', store.applyEvent({ type: 'upstream', session: 's', seq: 11, status: 'ok' }) === 'stale'
    && store.get('s').upstream.status === 'ok' && tileFacts(store.get('s')).upstream === null);
  store.applyEvent({ type: 'upstream', session: 's', seq: 10, status: 'reconnecting', attempt: 3 });
  check('an upstream older than the last one applied is ignored', store.get('s').upstream.status === 'ok');
  check('a snapshot without speakers keeps the last list', store.get('s').speakers.join() === 'a,b');
  done(out);
}).catch((error) => done([['import: ' + error, false]]));
"""


def test_conference_store_rules_in_browser(bridge_url, driver):
    """The model rules behind the tiles and the page's issue-11 views, run in the browser itself."""
    page = Wall(driver, bridge_url)
    page.open()
    page.wait_live()
    driver.set_script_timeout(WAIT)
    results = driver.execute_async_script(CONFERENCE_STORE_RULES)
    assert len(results) >= 17, results
    failed = [name for name, ok in results if not ok]
    assert not failed, f"rules failed: {failed}"
