"""Batch grading: isolation, cache, resume, exports, determinism (checker/grade).

The exercise is the scaffold's (``proofcheck new demo``: x + 1/x >= 2) so these tests do not
depend on the shipped set. Hostile files are in tests/data/grade/. Faults (crash, abort,
hang, memory) are injected by monkeypatching the portfolio before the workers are forked,
so the forked workers inherit them.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.check import check_file
from checker.cli import run
from checker.engines import portfolio
from checker.exercises import seed_for
from checker.grade import Limits, Options, grade, workers
from checker.grade.cache import VerdictStore
from checker.grade.interrupt import StopSignals
from checker.grade.limits import limit_memory
from checker.grade.progress import Progress
from checker.grade.submissions import discover, safe_name
from checker.obligations import Obligation, Status, Verdict

from .conftest import ROOT

DATA = Path(__file__).parent / "data" / "grade"
BUDGET = 1.0
LIMITS = Limits(timeout_s=1.5, memory_mb=1536)
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def exercises(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exercises")
    out, code = run(["new", "demo", "--dir", str(root)])
    assert code == 0, out
    return root


def _texts(exercises: Path) -> dict[str, str]:
    folder = exercises / "misc" / "demo"
    return {"solution": (folder / "solution.proof").read_text(),
            "right": (folder / "samples" / "right.proof").read_text(),
            "wrong": (folder / "samples" / "wrong.proof").read_text()}


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return root


def _grade(sub: Path, out: Path, exercises: Path, **kw: Any) -> Any:
    opts = Options(sub, out, exercises, jobs=kw.pop("jobs", 2), budget_s=BUDGET,
                   limits=kw.pop("limits", LIMITS), progress=False, **kw)
    return grade(opts)


def _record(out: Path, student: str, file: str = "p1.proof") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "records" / student / f"{file}.json").read_text())
    return doc


def _feedback(out: Path, student: str) -> str:
    return (out / "students" / student / "feedback.txt").read_text()


def _step(record: dict[str, Any], line: int) -> dict[str, Any]:
    return next(s for s in record["result"]["steps"] if s["line"] == line)


# ------------------------------------------------------------------------ acceptance


def test_hostile_batch_grades_everyone_else(tmp_path: Path, exercises: Path) -> None:
    """Hostile files each get a clear error; every other submission is graded as alone."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {
        "alice/p1.proof": t["solution"],
        "bob/p1.proof": t["wrong"],
        "carol/p1.proof": (DATA / "import_payload.proof").read_text(),
        "dave/p1.proof": (DATA / "power_tower.proof").read_text(),
        "erin/p1.proof": (DATA / "spinning_step.proof").read_text(),
        "frank/p1.proof": "exercise demo\n" + "# padding\n" * 500_000,
        "gina/p1.proof": b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe binary junk \x00\x13",
        "hank/p1.proof": "",
        "ivan/p1.proof": (DATA / "wrong_exercise_id.proof").read_text(),
    })
    out = tmp_path / "out"
    summary = _grade(sub, out, exercises)
    assert (summary.graded, summary.students) == (9, 9)
    for student in ("alice", "bob"):  # the same result as checking the file alone
        alone = check_file(sub / student / "p1.proof", budget_s=BUDGET, exercises=exercises,
                           student=student)
        assert alone.assessment is not None
        assert alone.assessment.to_json() == _record(out, student)["assessment"]
    assert _record(out, "alice")["assessment"]["passed"] is True
    expected = {
        "carol": "[unexpected-character]",
        "dave": "[exponent-too-large]",
        "frank": "[file-too-large]",
        "gina": "[not-text]",
        "hank": "empty",  # the grader's note, or the parser's [empty-proof]
        "ivan": "[unknown-exercise]",
    }
    for student, needle in expected.items():
        text = _feedback(out, student)
        assert needle in text, text
        assert "0/10 points" in text
    assert not (sub / "carol" / "pwned").exists()
    # a step that made SymPy's factor() spin for minutes before the engine learnt to skip it:
    # whatever the checker does with it (a resource limit, the budget, or now a quick proof),
    # it is never refuted and the rest of the file is graded; isolation itself is tested
    # deterministically with injected crashes and hangs below
    spin = _step(_record(out, "erin"), 4)
    assert spin["verdict"] in ("unknown", "plausible", "proved")
    erin = _record(out, "erin")
    assert erin["status"] == "graded"  # the other steps were checked as usual
    assert all(s["verdict"] == "proved" for s in erin["result"]["steps"]
               if s["kind"] == "step")
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(
        (out / "gradebook.csv").read_text()))}
    assert rows["alice"]["demo"] == "10"
    assert rows["ivan"]["demo"] == ""  # nothing handed in for demo


def _faulty_check(original: Callable[..., Verdict]) -> Callable[..., Verdict]:
    def check(ob: Obligation, budget_s: float, mode: str) -> Verdict:
        names = set(ob.names)
        if "crashme" in names:
            os.kill(os.getpid(), signal.SIGSEGV)
        if "abortme" in names:  # what GMP does when memory runs out
            os.abort()
        if "hangme" in names:  # stuck without using CPU: only the wall clock catches it
            time.sleep(600)
        if "hogme" in names:  # 3 GB: fails only because of the 1 GB address-space limit
            bytearray(3 * 1024**3)
        return original(ob, budget_s, mode)
    return check


def test_crash_hang_and_memory_cost_only_that_step(tmp_path: Path, exercises: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that crashes, aborts, hangs or runs out of memory costs only that step."""
    monkeypatch.setattr(portfolio, "_check", _faulty_check(portfolio._check))
    solution = _texts(exercises)["solution"]
    lines = solution.split("\n")

    def with_fact(name: str) -> str:
        return "\n".join([*lines[:2], f"have f: exp({name}) > 0", *lines[2:]])

    sub = _write(tmp_path / "sub", {
        "a/p1.proof": with_fact("crashme"), "b/p1.proof": with_fact("abortme"),
        "c/p1.proof": with_fact("hangme"), "d/p1.proof": with_fact("hogme"),
        "e/p1.proof": solution,
    })
    out = tmp_path / "out"
    summary = _grade(sub, out, exercises,
                     limits=Limits(timeout_s=1.5, memory_mb=1024))
    assert summary.isolated >= 4
    why = {"a": "crashed", "b": "ran out of memory", "c": "took longer than 1.5 s",
           "d": "ran out of memory"}
    for student, words in why.items():
        rec = _record(out, student)
        fact = _step(rec, 3)
        assert "resource limit" in fact["label"] and words in fact["label"], fact["label"]
        others = [s for s in rec["result"]["steps"] if s["kind"] == "step"]
        assert others and all(s["verdict"] == "proved" for s in others)
        assert "resource limit" in _feedback(out, student)
    assert _record(out, "e")["assessment"]["passed"] is True


def test_rlimit_as_turns_a_large_allocation_into_memory_error() -> None:
    """limit_memory caps the address space: a 3 GB allocation fails in that process."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            limit_memory(1024)
            bytearray(3 * 1024**3)
        except MemoryError:
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# ------------------------------------------------------------------------------ Ctrl-C


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """SIGINT as Python sets it up in a terminal (a test run may have it ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _sigint_inside_a_gc_callback() -> None:
    """Send this process SIGINT from inside a gc callback, where Python cannot raise."""
    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100):  # the Python handler runs in here, between bytecodes
                pass

    gc.callbacks.append(callback)
    try:
        gc.collect()
    except KeyboardInterrupt:  # never let it reach pytest, which would stop the whole run
        pytest.fail("the KeyboardInterrupt was not raised inside the gc callback")
    finally:
        gc.callbacks.remove(callback)


def test_ctrl_c_inside_a_gc_callback_is_not_lost(default_sigint: None) -> None:
    """Python's own handler raises KeyboardInterrupt inside the callback, where it is lost
    ("Exception ignored in ..."); the grader's handler only sets a flag the run loop reads."""
    lost: list[object] = []
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: lost.append(unraisable.exc_type)
    try:
        _sigint_inside_a_gc_callback()
    finally:
        sys.unraisablehook = hook
    assert KeyboardInterrupt in lost
    with StopSignals() as stop:
        assert not stop.requested
        stop.check()
        _sigint_inside_a_gc_callback()
        assert stop.requested and stop.received == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            stop.check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_stops_at_once_and_other_handlers_are_left_alone(
        default_sigint: None) -> None:
    with StopSignals() as stop:
        assert stop.handles(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def own(signum: int, frame: object) -> None:
        pass

    for handler in (signal.SIG_IGN, own):  # ignored (a background job), or the caller's own
        signal.signal(signal.SIGINT, handler)
        with StopSignals() as stop:
            assert not stop.handles(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            assert not stop.requested
        assert signal.getsignal(signal.SIGINT) == handler


def test_ctrl_c_stops_the_run_kills_busy_workers_and_keeps_finished_records(
        tmp_path: Path, exercises: Path, default_sigint: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the Python API: Ctrl-C once the first record is written; the other
    submission's worker is stuck (it would be until a limit), so only the stop ends the run."""
    from checker.grade.task import grade_job as graded

    def stuck(job: Any, *args: Any) -> Any:
        if job.student == "zz":
            time.sleep(3600)
        return graded(job, *args)

    monkeypatch.setattr(workers, "grade_job", stuck)  # the forked workers inherit it

    class CtrlC(io.StringIO):
        def write(self, text: str) -> int:
            if "s0/p1.proof" in text:  # s0's record is written
                handler = signal.getsignal(signal.SIGINT)
                assert isinstance(getattr(handler, "__self__", None), StopSignals), handler
                signal.raise_signal(signal.SIGINT)
            return super().write(text)

    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"s0/p1.proof": t["solution"], "zz/p1.proof": t["right"]})
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        grade(Options(sub, out, exercises, jobs=2, budget_s=BUDGET, limits=LIMITS,
                      stream=CtrlC()))
    assert [p.parent.name for p in out.glob("records/*/*.json")] == ["s0"]
    assert not (out / "gradebook.csv").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# `python -m checker` with the last submission's grading stuck until its worker is killed, so
# the Ctrl-C always comes in the middle of the run, however fast the machine; SIGINT is reset to
# Python's default first, as in a terminal: a background job of a non-interactive shell (a CI
# runner may start the tests so) ignores it, and so would this child
STUCK_CHILD = """
import signal, sys, threading
signal.signal(signal.SIGINT, signal.default_int_handler)
from checker.grade import workers
graded = workers.grade_job
def grade_job(job, *args):
    if job.student == "zz":
        threading.Event().wait()
    return graded(job, *args)
workers.grade_job = grade_job
from checker.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # a CLI process (its start-up and warm-up take seconds), then a rerun: the
# same stop is tested through the API above, in the default run
def test_interrupted_run_resumes_without_regrading(tmp_path: Path, exercises: Path) -> None:
    """Ctrl-C in the middle of a run: exit 130 with one line, the finished records kept; the
    rerun grades only the rest."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"s0/p1.proof": t["solution"], "s1/p1.proof": t["wrong"],
                                    "zz/p1.proof": t["right"]})  # graded last, stuck
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", STUCK_CHILD, "grade", str(sub), "--exercises", str(exercises),
           "--out", str(out), "--jobs", "1", "--budget", str(BUDGET), "--timeout", "60"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        guard = time.monotonic() + 120  # a hang guard, not a timing assertion
        while len(list(out.glob("records/*/*.json"))) < 2:
            assert proc.poll() is None and time.monotonic() < guard, proc.returncode
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, (stdout, stderr)
    assert stdout.strip() == ("proofcheck: interrupted; every submission finished so far is "
                              "saved: run the same command again to grade the rest")
    assert "Traceback" not in stderr
    done = {p: p.stat().st_mtime_ns for p in out.glob("records/*/*.json")}
    assert sorted(p.parent.name for p in done) == ["s0", "s1"]
    assert not (out / "gradebook.csv").exists()  # written by a run that finishes
    summary = _grade(sub, out, exercises, jobs=1)
    assert (summary.skipped, summary.graded) == (2, 1)
    assert done == {p: p.stat().st_mtime_ns for p in done}
    assert _record(out, "zz")["assessment"]["passed"] is True


def test_rerun_skips_changed_files_regrade_and_force_regrades_all(tmp_path: Path,
                                                                 exercises: Path) -> None:
    """A rerun regrades changed files (and steps cut short by other limits); --force, all."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"a/p1.proof": t["solution"], "b/p1.proof": t["wrong"]})
    out = tmp_path / "out"
    assert _grade(sub, out, exercises).graded == 2
    _write(sub, {"b/p1.proof": t["right"]})
    again = _grade(sub, out, exercises)
    assert (again.skipped, again.graded) == (1, 1)
    assert _record(out, "b")["assessment"]["passed"] is True
    path = out / "records" / "a" / "p1.proof.json"  # as if cut short under other limits
    path.write_text(json.dumps({**_record(out, "a"), "resource_limits": ["took longer"],
                                "limits": "timeout 1 s, memory 64 MB"}))
    assert _grade(sub, out, exercises).graded == 1
    assert _grade(sub, out, exercises, force=True).graded == 2


# ------------------------------------------------------------------------ determinism


def _outputs(out: Path) -> dict[str, Any]:
    """Every output file, without what may differ between runs (timings, cache, run log)."""
    found: dict[str, Any] = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if not p.is_file() or rel.startswith("cache.sqlite") or rel == "run.json":
            continue
        if rel.startswith("records/"):
            doc = json.loads(p.read_text())
            doc.pop("meta")
            found[rel] = doc
        else:
            found[rel] = p.read_text()
    return found


def test_two_runs_give_identical_results(tmp_path: Path, exercises: Path) -> None:
    """Two runs (fresh cache, then warm cache) write identical outputs apart from timings."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {
        "a/p1.proof": t["solution"], "b/p1.proof": t["wrong"], "c/p1.proof": t["right"],
        "c/extra.proof": t["wrong"] + "\n# again\n", "d/p1.proof": "exercise nope\n",
    })
    first, second = tmp_path / "one", tmp_path / "two"
    _grade(sub, first, exercises)
    _grade(sub, second, exercises)
    assert _outputs(first) == _outputs(second)
    warm = _grade(sub, second, exercises, force=True)  # every verdict from the cache now
    assert warm.computed == 0
    assert _outputs(first) == _outputs(second)


# ------------------------------------------------------------------------------ cache


@pytest.mark.parametrize("jobs", [1, 2])
def test_identical_obligations_are_checked_once(tmp_path: Path, exercises: Path,
                                                jobs: int) -> None:
    """Students with the same proof: each obligation is checked once, by one worker."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"a/p1.proof": t["wrong"], "b/p1.proof": t["wrong"] + "\n"})
    out = tmp_path / "out"
    summary = _grade(sub, out, exercises, jobs=jobs)
    a, b = _record(out, "a")["meta"], _record(out, "b")["meta"]
    assert a["obligations"] == b["obligations"] > 0
    assert a["obligations"] == a["computed"] + b["computed"] == summary.cache_entries
    assert summary.cache_hits == a["obligations"]


def test_claims_let_one_process_check_an_obligation(tmp_path: Path) -> None:
    """A claimed obligation cannot be claimed again until released or its owner is gone."""
    store = VerdictStore(tmp_path / "c.sqlite")
    assert store.claim("k", 1) is True
    assert store.claim("k", 2) is False
    store.release("k")
    assert store.claim("k", 2) is True
    store.release_owner(2)
    assert store.claim("k", 3) is True


def test_no_cache_checks_everything_and_writes_no_cache(tmp_path: Path,
                                                        exercises: Path) -> None:
    """--no-cache: no SQLite file, no hits."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"a/p1.proof": t["wrong"], "b/p1.proof": t["wrong"]})
    out = tmp_path / "out"
    summary = _grade(sub, out, exercises, cache=False, jobs=1)
    assert summary.cache_hits == 0
    assert not (out / "cache.sqlite").exists()


def test_sqlite_store_with_concurrent_writers(tmp_path: Path) -> None:
    """Two processes writing and reading one store lose nothing and never fail."""
    path = tmp_path / "c.sqlite"
    VerdictStore(path).init()
    pids = []
    for n in range(2):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                store = VerdictStore(path)
                for i in range(300):
                    store.put(f"k{i}", Verdict(Status.PROVED, f"w{n}", str(i)))
                    assert store.get(f"k{i}") is not None
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids] == [0, 0]
    store = VerdictStore(path)
    assert store.count() == 300
    first = store.get("k7")
    assert first is not None and first.reason == "7"
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


# ---------------------------------------------------------------------------- exports


def _check_gradescope(doc: dict[str, Any]) -> None:
    assert isinstance(doc["score"], float)
    for test in doc["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0
    assert doc["visibility"] in VISIBILITY and doc["stdout_visibility"] in VISIBILITY


def test_exports_have_every_documented_field(tmp_path: Path, exercises: Path) -> None:
    """Gradescope, PrairieLearn, CSV and summary outputs follow the documented formats."""
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"a/p1.proof": t["solution"], "b/p1.proof": t["wrong"],
                                    "c/junk.proof": b"\x00\x01"})
    out = tmp_path / "out"
    _grade(sub, out, exercises)
    for student in "abc":
        folder = out / "students" / student
        _check_gradescope(json.loads((folder / "gradescope.json").read_text()))
        pl = json.loads((folder / "prairielearn.json").read_text())
        assert isinstance(pl["gradable"], bool)
        assert 0.0 <= pl["score"] <= 1.0 and isinstance(pl["message"], str)
        for test in pl["tests"]:
            assert {"name", "points", "max_points", "message", "output"} <= set(test)
        if not pl["gradable"]:
            assert pl["format_errors"]
        fb = json.loads((folder / "feedback.json").read_text())
        assert {"student", "score", "max_score", "exercises", "other_files"} <= set(fb)
    assert json.loads((out / "students" / "a" / "prairielearn.json").read_text())["score"] == 1.0
    assert json.loads((out / "students" / "c" / "prairielearn.json").read_text())[
        "gradable"] is False
    b = json.loads((out / "students" / "b" / "feedback.json").read_text())
    steps = b["exercises"][0]["submission"]["result"]["steps"]
    assert any(s["verdict"] == "refuted" and s["counterexample"] for s in steps)
    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    assert rows[0] == ["student", "demo", "total", "max_total", "not_counted"]
    assert rows[1] == ["a", "10", "10", "10", "0"]
    assert [row[-1] for row in rows[1:]] == [
        str(len(json.loads((out / "students" / row[0] / "feedback.json").read_text())[
            "other_files"])) for row in rows[1:]]  # an empty file is told from no file
    summary = (out / "summary.md").read_text()
    assert "## What the class got wrong" in summary and "| 1 |" in summary
    assert "| b |" in summary  # staff see who made each common slip
    assert "[ 90%, 100%]" in summary  # the histogram


def test_gradescope_layout_writes_results_json(tmp_path: Path, exercises: Path) -> None:
    """/autograder/submission + submission_metadata.json -> results/results.json."""
    autograder = tmp_path / "autograder"
    _write(autograder, {"submission/p1.proof": _texts(exercises)["wrong"]})
    (autograder / "submission_metadata.json").write_text(json.dumps({
        "id": 1, "users": [{"email": "ada@example.edu", "id": 7, "name": "Ada"}]}))
    results = autograder / "results"
    out, code = run(["grade", str(autograder / "submission"), "--exercises", str(exercises),
                     "--out", str(results), "--jobs", "1", "--budget", str(BUDGET)])
    assert code == 0, out
    doc = json.loads((results / "results.json").read_text())
    _check_gradescope(doc)
    assert len(doc["tests"]) == 1 and doc["tests"][0]["score"] < 10
    rec = json.loads((results / "records" / "ada@example.edu" / "p1.proof.json").read_text())
    assert rec["student"] == "ada@example.edu"  # demo has no variants, so no seed: the
    # variant an id selects is tested on a randomized exercise in tests/test_grade_safety.py
    assert rec["assessment"]["seed"] in (None, seed_for("ada@example.edu", "demo"))


def test_usage_errors_exit_2(tmp_path: Path, exercises: Path) -> None:
    """A missing submissions folder or an empty catalog is a usage error."""
    _, code = run(["grade", str(tmp_path / "nothing"), "--exercises", str(exercises),
                   "--out", str(tmp_path / "o")])
    assert code == 2
    (tmp_path / "sub").mkdir()
    (tmp_path / "empty").mkdir()
    out, code = run(["grade", str(tmp_path / "sub"), "--exercises", str(tmp_path / "empty"),
                     "--out", str(tmp_path / "o")])
    assert code == 2 and "no exercise.toml" in out


def test_symlinks_and_hidden_files_are_not_graded(tmp_path: Path) -> None:
    """Only visible .proof files count: no hidden files, no links, not the results folder."""
    sub = _write(tmp_path / "sub", {"a/p1.proof": "exercise demo\n", "a/.old.proof": "x",
                                    "a/__MACOSX/p1.proof": "x", "a/notes.txt": "x"})
    (tmp_path / "secret.proof").write_text("exercise demo\n")
    (sub / "a" / "link.proof").symlink_to(tmp_path / "secret.proof")
    (sub / "b").symlink_to(sub / "a")
    (sub / "results" / "students").mkdir(parents=True)  # --out inside the submissions
    batch = discover(sub, "base", exclude=sub / "results")
    assert ([s.id for s in batch.students], [j.file for j in batch.jobs]) == (["a"],
                                                                               ["p1.proof"])
    assert batch.jobs[0].header == "demo"


def test_student_ids_become_distinct_file_names() -> None:
    """Ids that need changing to be file names never collide with each other, nor with an
    id that is literally another's changed name, even on a case-insensitive file system."""
    ids = ["ada@example.edu", "a b", "a_b", "../x", ".x", "x", "Alice", "alice", "CON",
           "x" * 300, "\udcff\udcfe", "\ud800", "Jos\u00e9", "Jose\u0301"]
    names = [safe_name(s) for s in ids]
    names.append(safe_name(names[1]))  # an id that is literally "a_b~<hash>"
    assert names[0] == "ada@example.edu" and names[2] == "a_b" and names[5] == "x"
    assert len({n.lower() for n in names}) == len(names)
    for n in names:
        assert "/" not in n and not n.startswith(".") and len(n.encode()) <= 80
        n.encode("ascii")  # storable anywhere


# --------------------------------------------------------------------------- progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    """A terminal gets one redrawn line with an ETA; a log gets one line per submission."""
    tty, log = _Tty(), io.StringIO()
    for stream in (tty, log):
        p = Progress(3, stream, interval_s=0.0)
        p.skip(1)
        p.advance("a/p1.proof: demo 10/10")
        p.advance("b/p1.proof: demo 3/10")
        p.close()
    assert "\r" in tty.getvalue() and "ETA" in tty.getvalue()
    lines = log.getvalue().splitlines()
    assert lines[1] == "[2/3 graded, ETA 0s] a/p1.proof: demo 10/10"
    assert lines[2].startswith("[3/3 graded, elapsed")


# ------------------------------------------------------------------------------- dask


@pytest.mark.slow
def test_dask_cluster_grades_like_local_workers(tmp_path: Path, exercises: Path) -> None:
    """The same batch on a local Dask cluster gives the same results; its cache is merged."""
    distributed = pytest.importorskip("distributed")
    t = _texts(exercises)
    sub = _write(tmp_path / "sub", {"a/p1.proof": t["solution"], "b/p1.proof": t["wrong"],
                                    "c/p1.proof": t["wrong"],
                                    "d/p1.proof": (DATA / "import_payload.proof").read_text()})
    local = tmp_path / "local"
    _grade(sub, local, exercises)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        remote = tmp_path / "dask"
        summary = _grade(sub, remote, exercises, scheduler=cluster.scheduler_address)
    assert summary.graded == 4
    assert _outputs(local) == _outputs(remote)
    assert VerdictStore(remote / "cache.sqlite").count() > 0


def test_a_latex_homework_is_graded_like_its_proof(tmp_path: Path, exercises: Path) -> None:
    """A student may hand in the LaTeX of their homework (docs/latex.md): `.tex` files are
    submissions too, and the same mathematics gets the same score as the `.proof` form."""
    tex = "\n".join([
        r"\documentclass{article}",
        r"\begin{document}",
        r"% proofcheck: exercise demo",
        r"% proofcheck: given x > 0",
        r"\goal{x + \frac{1}{x} \ge 2}",
        r"\begin{align*}",
        r"  x + \frac{1}{x} &= 2 + \frac{(x - 1)^2}{x} && \text{by algebra} \\",
        r"  &\ge 2",
        r"\end{align*}",
        r"\end{document}",
        ""])
    texts = _texts(exercises)
    sub = _write(tmp_path / "sub", {"ada/p1.tex": tex, "bob/p1.proof": texts["solution"]})
    _grade(sub, tmp_path / "out", exercises, limits=Limits(timeout_s=60, memory_mb=1536))
    ada = _record(tmp_path / "out", "ada", "p1.tex")
    bob = _record(tmp_path / "out", "bob")
    assert ada["exercise"] == bob["exercise"] == "demo"
    ada_score, bob_score = ada["assessment"]["score"], bob["assessment"]["score"]
    assert ada_score == bob_score == bob["assessment"]["max_score"], (ada_score, bob_score)
