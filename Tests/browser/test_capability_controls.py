"""The page's issue-11 controls against a scripted backend: a shim in the browser plays the bridge's side of
the whole-conference requests (capabilities, the new participant fields, `layouts`, results, ephemeral
events), so the page's half is checked without issue 11's backend: which controls show for which
capabilities, the exact requests they send (fields as the contract names them), keyboard use of the menu
and dialogs, and the axe audit. The upstream effects are checked by test_conference.py (needs_conf).

Everything else (join, roster, events) is the real bridge and simulator.
"""

from __future__ import annotations

import secrets

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from pagekit import Page, set_viewport
from test_conference import TALL, assert_focus_on_menu_button, choose, flags, open_menu, row

# Installed before the page's scripts. Incoming snapshots gain issue 11's capability keys and participant
# fields (participants named "… SIP" speak SIP); the new request types are answered here and recorded in
# window.__conf.sent; window.__conf.emit(message) plays an event from the bridge.
CONF_SHIM = """
(() => {
  const HOST_KEYS = ['raise_hand', 'lower_hand', 'lower_all_hands', 'set_role', 'video_mute', 'video_unmute',
    'guests_can_unmute', 'layouts', 'set_layout', 'clear_spotlights', 'overlay_text', 'dial', 'transfer', 'dtmf', 'captions'];
  const GUEST_KEYS = ['raise_hand', 'lower_hand', 'layouts', 'captions'];
  const NEW_TYPES = new Set([...HOST_KEYS, 'set_layout']);
  const conf = window.__conf = { sent: [], sockets: [], answers: {
    layouts: { layouts: ['1:7', 'ac_presentation_in_mix', '4:0', '5:7'] }, dial: { participants: ['dialled-1'] } } };
  const person = (p) => ({ hand_raised_at: null, video_muted: false, overlay_text: '', call_direction: 'in', joined_at: null,
    ...p, protocol: /SIP$/.test(p.display_name || '') ? 'sip' : p.protocol });
  const session = (s) => {
    if (!s || !s.capabilities) return s;
    const keys = s.state !== 'connected' ? [] : s.role === 'host' ? HOST_KEYS : GUEST_KEYS;
    for (const key of HOST_KEYS) s.capabilities[key] = keys.includes(key);
    s.participants = (s.participants || []).map(person);
    // Scripted, whatever the bridge says (a bridge with issue 11 has its own).
    s.speakers = [];
    s.presentation = { active: false, presenter: null };
    s.layout = { layout: '1:7', host_layout: null, guest_layout: null, overlay_text_enabled: null };
    return s;
  };
  const patch = (text) => {
    let m;
    try { m = JSON.parse(text); } catch { return text; }
    if (m.type === 'result' && m.data) {
      if (m.data.session) session(m.data.session);
      for (const s of m.data.sessions || []) session(s);
    }
    if ((m.type === 'participant_joined' || m.type === 'participant_updated') && m.participant) m.participant = person(m.participant);
    if (m.type === 'state' && m.capabilities) {
      const keys = m.state !== 'connected' ? [] : (m.role ?? 'host') === 'host' ? HOST_KEYS : GUEST_KEYS;
      for (const key of HOST_KEYS) m.capabilities[key] = keys.includes(key);
    }
    return JSON.stringify(m);
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      conf.sockets.push(this);
    }
    addEventListener(type, listener, options) {
      if (type !== 'message') return super.addEventListener(type, listener, options);
      return super.addEventListener('message', (event) => {
        if (event.__conf) return listener.call(this, event);
        // A bridge with issue 11 sends its own speakers and captions: only the scripted ones count here.
        if (/"type":"(speakers|captions)"/.test(event.data)) return;
        const patched = new MessageEvent('message', { data: patch(event.data) });
        listener.call(this, patched);
      }, options);
    }
    send(data) {
      let m;
      try { m = JSON.parse(data); } catch { return super.send(data); }
      if (!NEW_TYPES.has(m.type)) return super.send(data);
      conf.sent.push(m);
      const answer = { type: 'result', id: m.id, ok: true, data: conf.answers[m.type] ?? {} };
      setTimeout(() => this.dispatchEvent(Object.assign(new MessageEvent('message', { data: JSON.stringify(answer) }), { __conf: true })), 0);
    }
  };
  conf.emit = (message) => {
    const socket = conf.sockets[conf.sockets.length - 1];
    socket.dispatchEvent(Object.assign(new MessageEvent('message', { data: JSON.stringify(message) }), { __conf: true }));
  };
})();
"""


def sent(page: Page, type_: str | None = None) -> list[dict]:
    requests = page.js("return window.__conf.sent;")
    return [{k: v for k, v in r.items() if k != "id"} for r in requests if type_ is None or r["type"] == type_]


def join_host(page: Page, name: str):
    page.open()
    page.wait_online()
    page.join_from_form("meet.hostpin", name)
    panel = page.wait_panel_state("pin_optional")
    page.el(".pin-input", panel).send_keys("4321" + Keys.ENTER)
    panel = page.wait_panel_state("connected")
    session_id = panel.get_attribute("data-session")
    page.wait_roster_count(session_id, name, 1)
    return panel, session_id


def test_conference_controls_send_the_contracts_requests(bridge_url, simulator, driver):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CONF_SHIM})
    nonce = secrets.token_hex(3)
    desk = f"Shim Desk {nonce}"
    page = Page(driver, bridge_url)
    panel, session_id = join_host(page, desk)
    sip_name = f"Phone {nonce} SIP"
    sip_uuid = simulator.add_participant("meet.hostpin", sip_name)
    try:
        page.wait_roster_count(session_id, sip_name, 1)
        own_uuid = row(page, panel, desk).get_attribute("data-uuid")

        # The tools a host has; the layout picker filled from `layouts`.
        for control in (".ctl-hand", ".ctl-captions", ".ctl-dial", ".ctl-guests-unmute"):
            page.wait(lambda _: page.el(control, panel).is_displayed(), control)
        picker = page.el(".layout-select", panel)
        page.wait(lambda _: picker.is_displayed(), "the layout picker")
        assert [o.get_attribute("value") for o in picker.find_elements(By.TAG_NAME, "option")] == \
            ["1:7", "ac_presentation_in_mix", "4:0", "5:7"]
        assert picker.get_attribute("value") == "1:7"
        assert page.el(".act-layout dd", panel).text == "1:7"
        assert sent(page, "layouts") == [{"type": "layouts", "session": session_id}]

        page.el(".ctl-hand", panel).click()
        page.wait(lambda _: sent(page, "raise_hand"), "raise_hand")
        assert sent(page, "raise_hand") == [{"type": "raise_hand", "session": session_id}]
        page.js("arguments[0].value = '4:0';", picker)
        page.el(".layout-apply", panel).click()
        page.wait(lambda _: sent(page, "set_layout"), "set_layout")
        assert sent(page, "set_layout") == [{"type": "set_layout", "session": session_id, "layout": "4:0"}]
        page.el(".ctl-captions", panel).click()
        page.wait(lambda _: page.el(".ctl-captions", panel).get_attribute("aria-pressed") == "true", "captions on")
        assert sent(page, "captions") == [{"type": "captions", "session": session_id, "on": True}]
        page.el(".ctl-guests-unmute", panel).click()
        page.wait(lambda _: sent(page, "guests_can_unmute"), "guests_can_unmute")
        assert sent(page, "guests_can_unmute") == [{"type": "guests_can_unmute", "session": session_id, "allowed": True}]

        # Events from the bridge: a hand, speakers, captions, the presentation and the layout.
        page.js("""const c = window.__conf;
            c.emit({type: 'speakers', session: arguments[0], participants: [arguments[1]]});
            c.emit({type: 'captions', session: arguments[0], text: 'Welcome everyone', final: true});
            c.emit({type: 'captions', session: arguments[0], text: 'to the quarterly', final: false});""",
                session_id, sip_uuid)
        page.wait(lambda _: page.el(".act-speaking dd", panel).text == sip_name, "the speaker")
        assert "Speaking" in flags(page, row(page, panel, sip_name))
        box = page.el(".captions-box", panel)
        page.wait(lambda _: box.text == "Welcome everyone\nto the quarterly", "the captions")
        assert page.el(".captions-box .interim", panel).text == "to the quarterly"
        page.shot("80-conference-tools", doc="conference-tools.png")

        # The participant menu of a SIP participant: every item, keyboard only.
        items = open_menu(page, panel, sip_name)
        assert items == ["Make host", "Stop video", "Overlay text…", "Transfer…", "Keypad (DTMF)…"], items
        page.shot("81-participant-menu", doc="participant-menu.png")
        page.d.switch_to.active_element.send_keys(Keys.ARROW_UP)
        assert page.d.switch_to.active_element.text == "Keypad (DTMF)…"  # wraps to the last
        page.d.switch_to.active_element.send_keys(Keys.HOME)
        assert page.d.switch_to.active_element.text == "Make host"
        page.d.switch_to.active_element.send_keys(Keys.ENTER)
        page.wait(lambda _: sent(page, "set_role"), "set_role")
        assert sent(page, "set_role") == [{"type": "set_role", "session": session_id, "participant": sip_uuid, "role": "host"}]
        choose(page, panel, sip_name, "Stop video")
        page.wait(lambda _: sent(page, "video_mute"), "video_mute")
        assert sent(page, "video_mute") == [{"type": "video_mute", "session": session_id, "participant": sip_uuid}]

        choose(page, panel, sip_name, "Transfer…")
        dialog = page.wait(lambda _: next((d for d in page.els("dialog.dialog-transfer") if d.is_displayed()), None), "transfer")
        assert page.d.switch_to.active_element.get_attribute("name") == "alias"
        page.d.switch_to.active_element.send_keys(Keys.ENTER)
        page.wait(lambda _: "alias" in dialog.find_element(By.CSS_SELECTOR, ".dialog-error").text, "the alias hint")
        assert not sent(page, "transfer")
        dialog.find_element(By.CSS_SELECTOR, "input[name=alias]").send_keys("meet.other")
        dialog.find_element(By.CSS_SELECTOR, "input[name=pin]").send_keys("2468")
        page.shot("82-transfer-dialog")
        dialog.find_element(By.CSS_SELECTOR, "input[name=pin]").send_keys(Keys.ENTER)
        page.wait(lambda _: not page.els("dialog.dialog-transfer"), "the dialog to close")
        assert sent(page, "transfer") == [{"type": "transfer", "session": session_id, "participant": sip_uuid,
                                           "alias": "meet.other", "role": "guest", "pin": "2468"}]
        assert_focus_on_menu_button(page)

        choose(page, panel, sip_name, "Keypad (DTMF)…")
        dialog = page.wait(lambda _: next((d for d in page.els("dialog.dialog-dtmf") if d.is_displayed()), None), "keypad")
        for key in "1#":
            dialog.find_element(By.CSS_SELECTOR, f".dtmf-key[data-key='{key}']").click()
            page.wait(lambda _: dialog.find_element(By.CSS_SELECTOR, ".dtmf-sent").text.endswith(key), f"{key} sent")
        digits = dialog.find_element(By.CSS_SELECTOR, ".dtmf-digits")
        digits.send_keys("12x" + Keys.ENTER)
        page.wait(lambda _: "0–9" in dialog.find_element(By.CSS_SELECTOR, ".dialog-error").text, "the bad-digits hint")
        digits.clear()
        digits.send_keys("*0a" + Keys.ENTER)
        page.wait(lambda _: dialog.find_element(By.CSS_SELECTOR, ".dtmf-sent").text == "Sent: 1 # *0A", "the sequence")
        assert [r["digits"] for r in sent(page, "dtmf")] == ["1", "#", "*0A"]
        assert all(r["participant"] == sip_uuid for r in sent(page, "dtmf"))
        page.shot("83-dtmf-keypad", doc="dtmf-keypad.png")
        page.d.switch_to.active_element.send_keys(Keys.ESCAPE)
        page.wait(lambda _: not page.els("dialog.dialog-dtmf"), "Escape to close the keypad")

        page.el(".ctl-dial", panel).click()
        dialog = page.wait(lambda _: next((d for d in page.els("dialog.dialog-dial") if d.is_displayed()), None), "dial")
        dialog.find_element(By.CSS_SELECTOR, "input[name=destination]").send_keys("rtmp://live.example.com/app/key")
        page.js("arguments[0].value = 'rtmp';", dialog.find_element(By.CSS_SELECTOR, "select[name=protocol]"))
        dialog.find_element(By.CSS_SELECTOR, "input[name=streaming]").click()
        dialog.find_element(By.CSS_SELECTOR, "input[name=display_name]").send_keys("Live stream")
        page.shot("84-dial-dialog", doc="dial-out.png")
        dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        page.wait(lambda _: not page.els("dialog.dialog-dial"), "the dial dialog to close")
        assert sent(page, "dial") == [{"type": "dial", "session": session_id, "destination": "rtmp://live.example.com/app/key",
                                       "protocol": "rtmp", "role": "guest", "streaming": True, "display_name": "Live stream"}]
        # Our own row's menu: no transfer or role change for ourselves.
        own_items = open_menu(page, panel, desk)
        assert "Transfer…" not in own_items and "Make guest" not in own_items, own_items
        page.d.switch_to.active_element.send_keys(Keys.ESCAPE)
        assert own_uuid
        page.assert_clean_console()
    finally:
        simulator.remove_participant("meet.hostpin", sip_uuid)
    page.el(".leave", panel).click()


def test_conference_controls_follow_capabilities_and_pass_axe(bridge_url, driver):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CONF_SHIM})
    calm = {"name": "prefers-reduced-motion", "value": "reduce"}
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [calm]})
    set_viewport(driver, TALL)  # the whole panel on screen: axe cannot judge text cut by the viewport's edge
    page = Page(driver, bridge_url)
    # A guest: raise hand and captions, nothing of a host's.
    page.open()
    page.wait_online()
    page.join_from_form("meet.hostpin", f"Shim Guest {secrets.token_hex(3)}")
    panel = page.wait_panel_state("pin_optional")
    page.el(".pin-guest", panel).click()
    panel = page.wait_panel_state("connected")
    page.wait(lambda _: page.el(".ctl-hand", panel).is_displayed(), "Raise hand for a guest")
    assert page.el(".ctl-captions", panel).is_displayed()
    for host_only in (".ctl-lower-all", ".ctl-dial", ".ctl-clear-spotlights", ".ctl-guests-unmute", ".layout-picker"):
        assert not page.el(host_only, panel).is_displayed(), host_only
    assert not any(b.is_displayed() for b in page.els(".act-more", panel))
    page.el(".leave", panel).click()
    page.wait(lambda _: page.displayed("#join-panel"), "the join form")

    # A host: the tools, the menu open, a dialog open; light and dark.
    nonce = secrets.token_hex(3)
    panel, session_id = join_host(page, f"Shim Audit {nonce}")
    page.wait(lambda _: page.el(".layout-select", panel).is_displayed(), "the layout picker")
    page.el(".ctl-captions", panel).click()
    page.wait(lambda _: page.el(".captions-box", panel).is_displayed(), "the captions box")
    audits = {"tools": page.axe_violations()}
    open_menu(page, panel, f"Shim Audit {nonce}")
    audits["menu"] = page.axe_violations()
    page.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.el(".ctl-dial", panel).click()
    page.wait(lambda _: page.els("dialog.dialog-dial"), "the dial dialog")
    audits["dialog"] = page.axe_violations()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [calm, {"name": "prefers-color-scheme", "value": "dark"}]})
    audits["dialog, dark"] = page.axe_violations()
    page.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda _: not page.els("dialog.dialog-dial"), "the dialog to close")
    audits["tools, dark"] = page.axe_violations()
    page.el(".leave", panel).click()
    found = {view: v for view, v in audits.items() if v}
    assert not found, "accessibility violations:\n" + "\n".join(f"{view}: {v}" for view, vs in found.items() for v in vs)
