"""Fixtures for the real-browser tests (helpers live in pagekit.py)."""

from __future__ import annotations

import contextlib
import os

import pytest
from selenium.common.exceptions import WebDriverException

from pagekit import ARTIFACTS, Bridge, Simulator, start_chromium


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_conf: needs issue 11's backend (whole-conference requests, events, "
                            "capabilities and simulator features); PEXBRIDGE_SKIP_CONF=1 leaves them out")


@pytest.fixture(scope="session")
def shared_bridge():
    """The shared bridge as (its URL, its simulator's URL): the one the script started, or one started here."""
    url = os.environ.get("PEXBRIDGE_URL")
    if url:
        yield url.rstrip("/"), os.environ.get("PEXBRIDGE_SIMULATOR_URL", "").rstrip("/")
        return
    with Bridge("shared") as bridge:
        yield bridge.url, bridge.simulator_url


@pytest.fixture(scope="session")
def bridge_url(shared_bridge):
    return shared_bridge[0]


@pytest.fixture(scope="session")
def simulator(shared_bridge):
    """The shared bridge's simulator (control API)."""
    if not shared_bridge[1]:
        pytest.fail("no simulator control API: set PEXBRIDGE_SIMULATOR_URL with PEXBRIDGE_URL "
                    "(scripts/browser-test.sh does)", pytrace=False)
    return Simulator(shared_bridge[1])


@pytest.fixture
def driver(request):
    driver = start_chromium()
    yield driver
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(WebDriverException):
            driver.save_screenshot(str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
            logs = driver.get_log("browser")
            (ARTIFACTS / f"FAILED-{request.node.name}.console.txt").write_text(
                "\n".join(f"{entry['level']} {entry['message']}" for entry in logs))
    driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
