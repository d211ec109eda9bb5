"""The playground in a real headless Chromium (Debian's chromium + chromedriver, Selenium):
a new user's session, from `proofcheck serve` to a proved goal.

Start the server as a user does, open the printed address, pick an exercise, type a proof
with one wrong step, see that line marked refuted with its counterexample and the others
proved, fix it, see the goal reached and the score; download the proof. A screenshot of each
state is written to the test's temporary folder. Skipped (with the reason) when no browser is
installed; ``.ci/run`` installs one.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import chromium, missing, requests_made
from .conftest import wait_up

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = "finite_class_agnostic"
SOLUTION = (ROOT / "exercises" / "generalization" / EXERCISE / "solution.proof").read_text(
    encoding="utf-8")
WRONG = SOLUTION.replace("= 2*H*(delta/(2*H))", "= 2*H*(delta/(4*H))")
WRONG_LINE = 9
WAIT_S = 240.0  # a cold check on a loaded machine; it is about 2 s on a quiet one


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`proofcheck serve --port 0`, as a user starts it; yields the address it printed."""
    if missing():
        pytest.skip(missing())
    script = Path(sys.executable).parent / "proofcheck"  # the command a user types
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "checker"]
    proc = subprocess.Popen([*command, "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert m is not None, f"no address printed: {line!r}"
        url = m.group(0)
        wait_up(url, 90)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait(driver: Any, what: str, test: Any, seconds: float = WAIT_S) -> Any:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def safe(d: Any) -> Any:
        try:
            return test(d)
        except WebDriverException:  # an element replaced while we looked at it
            return False

    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.25).until(safe)
    except Exception as exc:
        status = driver.find_element("id", "status").text
        raise AssertionError(f"timed out waiting for {what}; status: {status!r}") from exc


def gutter(driver: Any) -> dict[int, str]:
    """Line number -> the verdict mark's status in the gutter."""
    out: dict[int, str] = driver.execute_script(
        "const m = {}; for (const d of document.querySelectorAll('#gutter .gl')) "
        "m[d.dataset.line] = d.dataset.status; return m;")
    return {int(k): v for k, v in out.items()}


def test_a_student_checks_a_proof_in_the_browser(server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with chromium(tmp_path) as driver:
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(server)
        wait(driver, "the exercise list", lambda d: len(
            d.find_elements(By.CSS_SELECTOR, f"#exercise-picker option[value='{EXERCISE}']")))
        Select(driver.find_element(By.ID, "exercise-picker")).select_by_value(EXERCISE)
        editor = driver.find_element(By.ID, "editor")
        wait(driver, "the starting text", lambda d: editor.get_attribute("value").startswith(
            f"exercise {EXERCISE}"))
        # the statement, givens and goal are MathML, rendered by the browser itself
        assert driver.find_elements(By.CSS_SELECTOR, "#ex-goal math")
        assert driver.find_elements(By.CSS_SELECTOR, "#ex-givens math")
        assert driver.find_element(By.ID, "ex-allowed").text.count("exp_") >= 2
        driver.find_element(By.ID, "hint-button").click()
        assert driver.find_element(By.ID, "ex-hints").text.strip()
        driver.save_screenshot(str(tmp_path / "1-exercise.png"))

        editor.clear()
        editor.send_keys(WRONG)
        wait(driver, "the wrong step refuted",
             lambda d: gutter(d).get(WRONG_LINE) == "refuted")
        marks = gutter(driver)
        assert all(marks[n] == "proved" for n in (4, 5, 8)), marks
        driver.find_element(By.CSS_SELECTOR, f"#gutter .gl[data-line='{WRONG_LINE}']").click()
        detail = driver.find_element(By.ID, "detail")
        table = wait(driver, "the counterexample table",
                     lambda d: d.find_element(By.ID, "cx-table"))
        assert "delta" in table.text and "left side" in table.text
        assert "(4 * H)" in detail.text  # how the line was read, fully parenthesized
        assert "sympy" in detail.text or "Engine" in detail.text
        assert driver.find_element(By.ID, "goal-status").get_attribute("data-state") \
            == "not-reached"
        driver.save_screenshot(str(tmp_path / "2-refuted.png"))

        # fix the step as a student does: select the wrong 4 and type 2
        at = WRONG.index("delta/(4*H)") + len("delta/(")
        driver.execute_script("arguments[0].focus(); arguments[0].setSelectionRange("
                              "arguments[1], arguments[1] + 1);", editor, at)
        editor.send_keys("2")
        assert editor.get_attribute("value") == SOLUTION
        wait(driver, "the goal reached", lambda d: d.find_element(
            By.ID, "goal-status").get_attribute("data-state") == "reached")
        marks = gutter(driver)
        assert marks[WRONG_LINE] == "proved" and "refuted" not in marks.values(), marks
        assert "10 / 10" in driver.find_element(By.ID, "score").text
        driver.save_screenshot(str(tmp_path / "3-goal-reached.png"))

        driver.find_element(By.ID, "download-button").click()
        saved = downloads / f"{EXERCISE}.proof"
        wait(driver, "the downloaded file", lambda d: saved.is_file()
             and saved.read_text(encoding="utf-8") == SOLUTION, 30)

        # the page fetched nothing but its own server's files
        outside = [u for u in requests_made(driver) if not u.startswith(server)
                   and not u.startswith("blob:")]
        assert outside == []
    for name in ("1-exercise.png", "2-refuted.png", "3-goal-reached.png"):
        assert (tmp_path / name).stat().st_size > 10_000
