"""`proofcheck serve`: the playground's JSON API through Starlette's TestClient (real worker
processes), its worker pool's fairness and limits, and the command a new user runs.

One server (two workers) is shared by the module's API tests; the pool tests build small
pools of their own. Verdict assertions only use what load cannot change (a refuted step
stays refuted: its counterexample is exact).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient

from checker.serve.app import MAX_BODY_BYTES, STATIC, ServeConfig, create_app
from checker.serve.pool import Busy, Pool, PoolSettings
from checker.serve.worker import WorkerSettings

from .conftest import wait_up

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = (ROOT / "exercises" / "generalization" / "finite_class_agnostic"
            / "solution.proof").read_text(encoding="utf-8")
WRONG = SOLUTION.replace("= 2*H*(delta/(2*H))", "= 2*H*(delta/(4*H))")
WRONG_LINE = 9
# slow on purpose: towers of exponentials that the engines give up on only at their limits
HOSTILE = "given x in (0, 1)\n" + "\n".join(
    f"have h{i}: e^(e^(e^(e^(e + {i})))) > exp(exp(exp(exp(x + {i})))) - {i}"
    for i in range(12)) + "\n"


def settings(tmp: Path, timeout_s: float = 60.0, **pool: Any) -> PoolSettings:
    worker = WorkerSettings(None, 2.0, timeout_s, 2048, str(tmp / "verdicts.sqlite"))
    return PoolSettings(worker, **pool)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("serve")
    app = create_app(ServeConfig(settings(tmp, min_workers=2, max_workers=3)))
    with TestClient(app) as c:
        yield c


def check(client: TestClient, text: str, **extra: object) -> dict[str, Any]:
    r = client.post("/api/check", json={"text": text, **extra})
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def lines(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(line["line"]): line for line in doc["lines"]}


# ------------------------------------------------------------------------------ the page


def test_page_and_assets_are_served_with_no_outside_address(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert 'id="editor"' in r.text and 'id="gutter"' in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and len(asset.text) > 500
    for f in STATIC.iterdir():  # vendored nothing, fetch nothing: the page needs no network
        assert not re.search(r"https?://", f.read_text(encoding="utf-8")), f.name


def test_exercises_are_listed_and_rendered_as_mathml(client: TestClient) -> None:
    listing = client.get("/api/exercises").json()
    ids = [e["id"] for e in listing["exercises"]]
    assert "finite_class_agnostic" in ids and len(ids) >= 40
    ex = client.get("/api/exercises/finite_class_agnostic").json()
    assert ex["title"] and ex["max_score"] == 10
    assert "<math" in ex["statement_html"] and "<math" in ex["goal"]["html"]
    assert all("<math" in g["html"] for g in ex["givens"])
    assert [a["name"] for a in ex["allowed"]] == ["exp_log", "log_exp", "exp_add"]
    assert all(a["statement"] for a in ex["allowed"])
    assert ex["hints"] and ex["milestones"]
    assert ex["starter"].startswith("exercise finite_class_agnostic\ngiven ")


@pytest.mark.parametrize("name", ["no_such_exercise", "..%2F..%2Fetc%2Fpasswd",
                                  "x" * 5000, "%00", "finite_class_agnostic%20x"])
def test_unknown_exercise_is_a_coded_404(client: TestClient, name: str) -> None:
    r = client.get(f"/api/exercises/{name}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown-exercise"


# ------------------------------------------------------------------------------ checking


def test_a_proof_is_checked_line_by_line_and_scored(client: TestClient) -> None:
    doc = check(client, SOLUTION)
    assert doc["exercise"] == "finite_class_agnostic"
    a = doc["assessment"]
    assert isinstance(a, dict) and a["passed"] is True and a["score"] == a["max_score"] == 10
    by_line = lines(doc)
    assert {n for n, line in by_line.items() if line["status"] == "proved"} >= {4, 5, 6, 8, 9, 10}
    assert all(line["status"] == "proved" for line in by_line.values())
    assert by_line[5]["read_as"] and by_line[5]["engine"]


def test_a_wrong_step_is_refuted_with_its_counterexample(client: TestClient) -> None:
    check(client, SOLUTION)
    doc = check(client, WRONG)
    wrong = lines(doc)[WRONG_LINE]
    assert wrong["status"] == "refuted"
    assert wrong["counterexample"] and wrong["lhs"] != wrong["rhs"]
    assert {"name", "value", "decimal"} <= set(wrong["counterexample"][0])
    assert "(4 * H)" in wrong["read_as"][0]
    assert doc["assessment"]["passed"] is False
    # only what changed is checked again: the lines above the edit come from the cache
    assert wrong["rechecked"] is True
    assert lines(doc)[5]["rechecked"] is False and lines(doc)[4]["rechecked"] is False
    assert 0 < doc["stats"]["computed"] < doc["stats"]["cached"]
    again = check(client, WRONG)  # the same text: answered without a worker
    assert again["stats"]["from_memory"] is True
    assert lines(again)[WRONG_LINE]["status"] == "refuted"


def test_parse_errors_are_coded_at_their_line(client: TestClient) -> None:
    doc = check(client, "exercise finite_class_agnostic\nhave a: 2x + 1 = 3\n")
    assert doc["blocked"] is True
    line = lines(doc)[2]
    assert line["status"] == "error"
    assert line["diagnostics"][0]["code"] == "missing-operator"


@pytest.mark.parametrize(("body", "kind", "status", "code"), [
    (b"not json", "application/json", 400, "bad-request"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "bad-request"),
    (b'{"text": 42}', "application/json", 400, "bad-request"),
    (b'["text"]', "application/json", 400, "bad-request"),
    (b'{"text": "x", "seed": true}', "application/json", 400, "bad-request"),
    (b'{"text": "x", "seed": -1}', "application/json", 400, "bad-request"),
    (b'{"text": "x", "seed": 1e400}', "application/json", 400, "bad-request"),
    (b'{"text": "\\ud800"}', "application/json", 400, "not-text"),
    (b'{"text": "x"}', "text/plain", 415, "bad-request"),
    (b'{"text": "x"}', "application/x-www-form-urlencoded", 415, "bad-request"),
    (json.dumps({"text": "a" * 300_000}).encode(), "application/json", 413, "file-too-large"),
    (b'{"text": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}', "application/json", 413,
     "file-too-large"),
])
def test_hostile_requests_get_coded_errors(client: TestClient, body: bytes, kind: str,
                                           status: int, code: str) -> None:
    r = client.post("/api/check", content=body, headers={"content-type": kind})
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert client.get("/api/health").json()["status"] == "ok"


@pytest.mark.parametrize("text", [
    "\x00\x01\x02 binary",
    "have a: " + "(" * 5000 + "x" + ")" * 5000 + " = x\n",
    "have a: 9^9^9^9^9 = 1\n",
    "have a: " + "x + " * 20_000 + "x = 1\n",
    "given x real\n" + "have a: x = x\n" * 3000,
    "exercise ../../../etc/passwd\n",
    "<script>alert(1)</script>\n",
])
def test_hostile_proofs_get_coded_diagnostics(client: TestClient, text: str) -> None:
    doc = check(client, text)
    codes = {d["code"] for d in doc["diagnostics"]}
    assert codes or doc["lines"], doc
    assert "internal-error" not in codes
    assert client.get("/api/health").json()["status"] == "ok"


# ------------------------------------------------------------------------------ limits


def test_a_proof_over_the_time_limit_gets_a_coded_error_and_the_server_goes_on(
        tmp_path: Path) -> None:
    app = create_app(ServeConfig(settings(tmp_path, timeout_s=4.0, min_workers=1,
                                          max_workers=2)))
    with TestClient(app) as c:
        doc = check(c, HOSTILE)
        assert [d["code"] for d in doc["diagnostics"]] == ["check-time-limit"]
        ok = check(c, "given x in (0, 1)\nhave a: x + x = 2*x\n")
        assert 2 in lines(ok), [d["message"] for d in ok["diagnostics"]]
        assert lines(ok)[2]["status"] in ("proved", "plausible")
        assert c.get("/api/health").json()["time_limits"] == 1


def test_a_time_limit_that_fires_inside_a_gc_callback_is_not_lost() -> None:
    """Python cannot raise from a gc callback (Hypothesis installs one): the request's
    wall-clock limit fires again as soon as the callback has returned (checker.timelimit's
    unraisable hook), so it lands where it stops the check, with the worker's quiet hook
    installed; the worker's hook is back in place afterwards."""
    import gc

    from checker.serve.worker import _quiet
    from checker.timelimit import HardLimit, TimeLimit

    swallowed: list[str] = []

    def slow_callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            try:
                time.sleep(0.2)  # the limit (0.03 s) fires in here first
            except TimeLimit:
                swallowed.append(phase)
                raise

    old_hook = sys.unraisablehook
    sys.unraisablehook = _quiet
    gc.callbacks.append(slow_callback)
    rounds = [0]
    try:
        with pytest.raises(TimeLimit), HardLimit(0.03, wall=True):
            while rounds[0] < 25:  # at most 25 rounds of a sleeping callback + busy loop
                rounds[0] += 1
                gc.collect()
                # shorter than a round: a re-fire timed to the clock alone falls into the next
                # callback every time; one timed to the swallowing lands in this loop
                until = time.monotonic() + 0.1
                while time.monotonic() < until:
                    pass
        assert sys.unraisablehook is _quiet
    finally:
        gc.callbacks.remove(slow_callback)
        sys.unraisablehook = old_hook
    assert swallowed  # it did fire inside the callback first ...
    assert rounds == [1]  # ... and landed in the busy loop right after, not rounds later


def _pool(tmp: Path, **kw: Any) -> Pool:
    return Pool(settings(tmp, timeout_s=kw.pop("timeout_s", 60.0), **kw))


def test_a_hostile_client_does_not_hold_back_another_one(tmp_path: Path) -> None:
    """One worker, one more allowed when it is stuck: the quick proof is answered long
    before the hostile one, which runs on."""

    async def scenario() -> bool:
        pool = _pool(tmp_path, min_workers=1, max_workers=2, timeout_s=30.0)
        await pool.start()
        try:
            hostile = asyncio.create_task(pool.check("mallory", HOSTILE, None))
            await asyncio.sleep(1.0)
            doc = await pool.check("alice", "given x in (0, 1)\nhave a: x^2 <= x\n", None)
            assert lines(doc)[2]["status"] in ("proved", "plausible")
            return hostile.done()
        finally:
            await pool.close()

    assert asyncio.run(scenario()) is False  # answered while the hostile proof runs on
    # (how fast: bench/playground.py measures it)


def test_a_long_check_is_stopped_to_make_room_for_a_quick_one(tmp_path: Path) -> None:
    """With no worker to spare, a quick request stops a request that has run for long: that
    one is answered server-busy (its verdicts are cached: sent again, it goes on)."""

    async def scenario() -> None:
        pool = _pool(tmp_path, min_workers=1, max_workers=1, light_reserve=0, timeout_s=60.0)
        await pool.start()
        try:
            hostile = asyncio.create_task(pool.check("mallory", HOSTILE, None))
            await asyncio.sleep(6.0)  # past PREEMPT_AFTER_S
            doc = await pool.check("alice", "have a: 2 + 2 = 4\n", None)
            assert lines(doc)[1]["status"] == "proved"
            stopped = await asyncio.wait_for(hostile, 30)
            assert [d["code"] for d in stopped["diagnostics"]] == ["server-busy"]
            assert pool.health()["preempted"] == 1
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_worker_that_stops_answering_is_killed_and_replaced(tmp_path: Path) -> None:
    """A worker stuck where its own time limit cannot reach (here: stopped by SIGSTOP, as in
    a long C call) is killed by the server after the limit and its grace; the request gets
    check-time-limit and the next one a fresh worker."""

    async def scenario() -> None:
        pool = _pool(tmp_path, min_workers=1, max_workers=1, light_reserve=0, timeout_s=2.0)
        await pool.start()
        try:
            stuck = pool.idle[0]
            assert stuck.proc.pid is not None
            os.kill(stuck.proc.pid, signal.SIGSTOP)
            start = time.monotonic()
            doc = await pool.check("a", "have a: 1 + 1 = 2\n", None)
            assert [d["code"] for d in doc["diagnostics"]] == ["check-time-limit"]
            assert time.monotonic() - start >= 2.0  # killed only after its limit
            assert not stuck.proc.is_alive()
            again = await pool.check("a", "have b: 2 + 2 = 4\n", None)
            assert lines(again)[1]["status"] == "proved"
            assert pool.health()["workers_killed"] == 1
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_the_queue_is_bounded_and_newer_texts_supersede_older_ones(tmp_path: Path) -> None:
    async def scenario() -> None:
        pool = _pool(tmp_path, min_workers=1, max_workers=1, light_reserve=0, max_queued=2,
                     per_client_queued=1, timeout_s=20.0)
        await pool.start()
        try:
            running = asyncio.create_task(pool.check("a", HOSTILE, None))
            await asyncio.sleep(0.5)
            first = asyncio.create_task(pool.check("a", HOSTILE + "# v1\n", None))
            await asyncio.sleep(0.1)
            second = asyncio.create_task(pool.check("a", HOSTILE + "# v2\n", None))
            old = await asyncio.wait_for(first, 5)
            assert [d["code"] for d in old["diagnostics"]] == ["request-superseded"]
            third = asyncio.create_task(pool.check("b", "have a: 1 = 1\n", None))
            await asyncio.sleep(0.1)
            with pytest.raises(Busy):
                await pool.check("c", "have a: 2 = 2\n", None)
            for t in (running, second, third):
                t.cancel()
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_the_server_answers_busy_with_503(tmp_path: Path) -> None:
    app = create_app(ServeConfig(settings(tmp_path, min_workers=1, max_workers=1,
                                          light_reserve=0, max_queued=0)))
    with TestClient(app) as c:
        r = c.post("/api/check", json={"text": "have a: 1 = 1\n"})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "server-busy"


def test_other_host_names_are_refused_when_bound_to_this_machine(tmp_path: Path) -> None:
    app = create_app(ServeConfig(settings(tmp_path, min_workers=1, max_workers=1),
                                 allowed_hosts=("127.0.0.1", "localhost")))
    with TestClient(app, base_url="http://evil.example") as c:
        assert c.get("/api/exercises").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        assert c.get("/api/exercises").status_code == 200


def test_another_exercises_folder_is_offered_and_checked_against(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "course" / "generalization" / "finite_class_agnostic"
    shutil.copytree(ROOT / "exercises" / "generalization" / "finite_class_agnostic", folder)
    worker = WorkerSettings(str(tmp_path / "course"), 2.0, 60.0, 2048, None)
    app = create_app(ServeConfig(PoolSettings(worker, min_workers=1, max_workers=1),
                                 exercises=tmp_path / "course"))
    with TestClient(app) as c:
        ids = [e["id"] for e in c.get("/api/exercises").json()["exercises"]]
        assert ids == ["finite_class_agnostic"]
        assert c.get("/api/exercises/realizable_finite_class").status_code == 404
        doc = check(c, WRONG)
        assert doc["exercise"] == "finite_class_agnostic"
        assert lines(doc)[WRONG_LINE]["status"] == "refuted"


# ------------------------------------------------------------------------------ the command


def serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `proofcheck serve --port 0` and return it with the address it printed."""
    proc = subprocess.Popen([sys.executable, "-m", "checker", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if m is None:
        stop(proc)
        pytest.fail(f"no address printed: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, m.group(0)


def stop(proc: subprocess.Popen[str]) -> None:
    with __import__("contextlib").suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def test_proofcheck_serve_prints_its_address_and_checks_a_proof() -> None:
    proc, url = serve("--workers", "1")
    try:
        wait_up(url)
        with urllib.request.urlopen(url, timeout=10) as r:
            assert b'id="editor"' in r.read()
        req = urllib.request.Request(url + "api/check", data=json.dumps({"text": WRONG}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            doc = json.load(r)
        assert lines(doc)[WRONG_LINE]["status"] == "refuted"
    finally:
        stop(proc)
    assert proc.returncode == 0


def test_serve_refuses_bad_options() -> None:
    from checker.cli import run

    assert run(["serve", "--port", "70000"])[1] == 2
    assert run(["serve", "--exercises", "/no/such/folder"])[1] == 2
    assert run(["serve", "--timeout", "0"])[1] == 2
