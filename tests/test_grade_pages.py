"""``proofcheck grade`` writes students/<id>/feedback.html and a class summary.html: the
self-contained report page, built from the records, every student text escaped, the score
histogram and the most common failing steps drawn as inline SVG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.cli import run

from .browser import chromium, offline, requests_made

HOSTILE_ID = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pages")
    root = tmp / "exercises"
    out, code = run(["new", "demo", "--dir", str(root)])
    assert code == 0, out
    demo = root / "misc" / "demo"
    wrong = (demo / "samples" / "wrong.proof").read_text()
    sub = tmp / "sub"
    for student, text in {"ada": (demo / "solution.proof").read_text(), "bob": wrong,
                          HOSTILE_ID: wrong,
                          "cy": "exercise demo\ngiven x > 0\nhave h: <script>x</script>\n",
                          "=cmd|' /C calc'!A0": wrong}.items():
        (sub / student).mkdir(parents=True)
        (sub / student / "p1.proof").write_text(text)
    results = tmp / "out"
    out, code = run(["grade", str(sub), "--exercises", str(root), "--out", str(results),
                     "--jobs", "1", "--budget", "2"])
    assert code == 0, out
    assert "summary.html" in out and "feedback.html" in out
    return results


def _pages(results: Path) -> list[Path]:
    return [*sorted(results.glob("students/*/feedback.html")), results / "summary.html"]


def test_every_student_gets_a_feedback_page(graded: Path) -> None:
    pages = sorted(graded.glob("students/*/feedback.html"))
    assert len(pages) == 5
    bob = (graded / "students" / "bob" / "feedback.html").read_text()
    assert "Feedback for bob" in bob
    assert 'class="verdict refuted"' in bob and '<table class="cx">' in bob
    assert "<math" in bob and "</math>" in bob
    assert re.search(r"Score [0-9.]+ / 10: not passed", bob)
    assert "<h3>Hints</h3>" in bob
    cy = (graded / "students" / "cy" / "feedback.html").read_text()
    assert "could not be read as a proof" in cy  # the grader's note on a blocked file


def test_student_text_is_inert_in_every_page(graded: Path) -> None:
    """A student id and a line with markup come out as text; no page has a script, an
    event handler or anything fetched from outside."""
    for page in _pages(graded):
        html = page.read_text()
        assert "<script" not in html and "<img" not in html
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html), page
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html
    summary = (graded / "summary.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in summary
    hostile = next(p for p in graded.glob("students/*/feedback.html") if "~" in p.parent.name
                   and "img" in p.parent.name)
    assert "Feedback for &lt;img src=x onerror=alert(1)&gt;" in hostile.read_text()


def test_summary_draws_histogram_and_failing_steps_as_svg(graded: Path) -> None:
    summary = (graded / "summary.html").read_text()
    svgs = re.findall(r"<svg class=\"chart (\w+)\".*?</svg>", summary, re.S)
    assert svgs == ["histogram", "failing"]
    histogram = summary[summary.index('<svg class="chart histogram"'):]
    histogram = histogram[:histogram.index("</svg>")]
    assert histogram.count('<rect class="bar"') == 10
    failing = summary[summary.index('<svg class="chart failing"'):]
    failing = failing[:failing.index("</svg>")]
    # the demo's wrong step (>= 3), refuted for the three students who handed it in
    assert "3 (refuted)" in failing and "&gt;= 3" in failing
    assert "```" not in summary and "###" not in summary  # not the Markdown's ASCII art


def test_summary_and_feedback_render_in_chromium(graded: Path, tmp_path: Path) -> None:
    with chromium(tmp_path) as driver:
        offline(driver)
        driver.get((graded / "summary.html").as_uri())
        charts = driver.find_elements("css selector", "svg.chart")
        assert len(charts) == 2
        for chart in charts:
            assert chart.is_displayed() and chart.size["width"] > 100
        bars = driver.find_elements("css selector", "svg.failing rect.bar")
        assert bars and all(b.size["width"] > 0 for b in bars)
        assert requests_made(driver) == []
        driver.save_screenshot(str(tmp_path / "summary.png"))
        driver.get((graded / "students" / "bob" / "feedback.html").as_uri())
        badges = driver.find_elements("css selector", "tr.step .verdict")
        assert badges and all(b.is_displayed() for b in badges)
        assert all(m.size["height"] > 0 for m in driver.find_elements("css selector", "math"))
        driver.save_screenshot(str(tmp_path / "feedback.png"))
    assert (tmp_path / "summary.png").stat().st_size > 5_000
