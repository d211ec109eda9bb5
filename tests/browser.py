"""A real headless Chromium for tests, driven by Selenium (Debian's ``chromium`` and
``chromium-driver`` packages; ``.ci/run`` installs them when missing).

    from .browser import chromium                 # inside tests/

    def test_page(tmp_path):
        with chromium(tmp_path) as driver:        # skips the test when no browser is installed
            driver.get(page.as_uri())
            ...
            driver.save_screenshot(str(tmp_path / "page.png"))

Every browser gets a fresh profile under ``tmp_path`` and is started with everything that
phones home switched off (background networking, component updates, sync, QUIC), so a page
opened from ``file://`` is shown with no network at all. The driver is always quit, even
when the test fails. ``offline(driver)`` also cuts the browser's network through the
DevTools protocol, for a test that wants to prove a page needs none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PROOFCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PROOFCHECK_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
WINDOW = (1280, 1024)


def missing() -> str:
    """Why no browser can be started here ("" when one can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for what, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return (f"no {what} at {path}: install Debian's chromium and chromium-driver "
                    "(apt-get install -y chromium chromium-driver; .ci/run does this)")
    return ""


@contextlib.contextmanager
def chromium(tmp_path: Path, width: int = WINDOW[0], height: int = WINDOW[1]) -> Iterator[Any]:
    """A headless Chromium ``selenium.webdriver.Chrome`` with a fresh profile in ``tmp_path``;
    ``pytest.skip`` (with the reason) when no browser is installed."""
    why = missing()
    if why:
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path / "chromium-profile"
    if profile.exists():
        shutil.rmtree(profile)
    profile.mkdir(parents=True)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


def offline(driver: Any) -> None:
    """Cut the browser's network (DevTools ``Network.emulateNetworkConditions``): a page
    that still loads and renders needs nothing from outside."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})


def requests_made(driver: Any) -> list[str]:
    """The URLs the page asked for besides its own document (Resource Timing API): a
    self-contained page asks for none."""
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    return [str(u) for u in urls]
