"""The ways in on the web page, in headless Chromium against a bridge with --simulate: a Virtual
Reception (a wrong conference, then a right one), and the identity-provider round trip (choose a
provider, sign in in the popup the page opens, come back connected through postMessage).
Every step waits explicitly and leaves a screenshot in artifacts/browser/.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from pagekit import Page, WsClient


def test_virtual_reception(bridge_url, driver):
    page = Page(driver, bridge_url)
    page.open()
    page.wait_online()
    panel = page.join_from_form("meet.reception", "Reception Desk")
    panel = page.wait_panel_state("extension_required")
    field = page.el(".extension-input", panel)
    page.wait(lambda _: field.is_displayed(), "the conference field")
    assert page.el(".wayin-title", panel).text == "Virtual Reception"
    assert page.el(f"label[for='{field.get_attribute('id')}']", panel).text == "Conference"
    page.wait(lambda d: d.switch_to.active_element == field, "the focus on the conference field")
    page.shot("ways-01-reception")
    assert page.axe_violations() == []

    # A conference the reception does not know: the message, the session stays.
    field.send_keys("meet.nowhere" + Keys.ENTER)
    error = page.el(".wayin-error", panel)
    page.wait(lambda _: "does not know that conference" in error.text, "the extension-not-found message")
    assert error.get_attribute("role") == "alert"
    assert panel.get_attribute("data-state") == "extension_required"
    page.shot("ways-02-reception-unknown")

    # The keyboard all the way: the right conference, Enter.
    field.clear()
    field.send_keys("meet.open" + Keys.ENTER)
    panel = page.wait_panel_state("connected")
    page.wait_roster_count(panel.get_attribute("data-session"), "Reception Desk", 1)
    page.shot("ways-03-reception-connected")


def test_identity_provider_and_sso_round_trip(bridge_url, driver):
    page = Page(driver, bridge_url)
    page.open()
    page.wait_online()
    page.join_from_form("meet.sso", "Signed In Desk")
    panel = page.wait_panel_state("idp_required")
    choices = page.els(".idp-choice", panel)
    assert [c.text for c in choices] == ["Sign in with Example Sign-In", "Sign in with Contoso SSO"]
    page.shot("ways-04-idp-choice")
    choices[0].click()

    panel = page.wait_panel_state("sso_required")
    start = page.el(".sso-start", panel)
    page.wait(lambda _: start.is_displayed() and start.is_enabled(), "the sign-in button")
    assert start.text == "Sign in with Example Sign-In"
    assert page.el(".sso-token-input", panel).get_attribute("type") == "password"
    page.shot("ways-05-sso-required")
    assert page.axe_violations() == []

    main = driver.current_window_handle
    before = set(driver.window_handles)
    start.click()
    page.wait(lambda d: len(set(d.window_handles) - before) == 1, "the sign-in popup")
    popup = (set(driver.window_handles) - before).pop()
    driver.switch_to.window(popup)
    user = page.wait(lambda d: d.find_element(By.ID, "user"), "the user-name field of the sign-in page")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=user]").text == "User name"
    user.send_keys("ann.lee")
    page.shot("ways-06-sign-in-page")
    driver.find_element(By.ID, "sign-in").click()
    # The sign-in page hands the token to the opener and closes itself.
    page.wait(lambda d: popup not in d.window_handles, "the popup to close")
    driver.switch_to.window(main)

    panel = page.wait_panel_state("connected")
    page.wait_roster_count(panel.get_attribute("data-session"), "Signed In Desk", 1)
    # The token never shows on the bridge's page.
    assert page.el(".sso-token-input", panel).get_attribute("value") == ""
    page.shot("ways-07-sso-connected")


def test_moved_to_another_room_and_the_nodes_disconnect_reason(bridge_url, simulator, driver):
    page = Page(driver, bridge_url)
    panel, session_id = page.join_open_room("Moving Desk")
    with WsClient(bridge_url) as ws:
        listed = ws.request("list")["data"]["sessions"]
        me = next(p["uuid"] for s in listed if s["id"] == session_id for p in s["participants"] if p["self"])
    # The node moves the session to the PIN room: the notice, the new alias, the PIN panel.
    simulator.post(f"rooms/meet.open/participants/{me}/refer", to="meet.pin")
    panel = page.wait_panel_state("pin_required")
    assert panel.get_attribute("data-session") == session_id
    notice = page.el(".transfer-notice", panel)
    page.wait(lambda _: "moved you to another room: meet.pin" in notice.text, "the moved-to-another-room notice")
    assert page.el(".session-title", panel).text == "meet.pin"
    assert not page.el(".role-badge", panel).is_displayed()
    page.shot("ways-08-moved")
    page.el(".pin-input", panel).send_keys("5678" + Keys.ENTER)
    panel = page.wait_panel_state("connected")
    page.wait_roster_count(session_id, "Moving Desk", 1)

    # The node ends the participant with its own words: the page says them.
    with WsClient(bridge_url) as ws:
        listed = ws.request("list")["data"]["sessions"]
        me = next(p["uuid"] for s in listed if s["id"] == session_id for p in s["participants"] if p["self"])
    simulator.post(f"rooms/meet.pin/participants/{me}/disconnect", reason="The meeting was ended by the host")
    page.wait(lambda _: any("The meeting was ended by the host" in text for text in page.notices()),
              "the node's disconnect reason on the page")
    page.shot("ways-09-disconnect-reason")
