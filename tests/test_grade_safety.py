"""Grading a real class safely (issue 16): identity, names, cache, the results folder, exports.

Each test builds a real class folder on disk, hostile names included (``os.fsencode`` bytes
that are not UTF-8, 250-byte names, names that collide once changed, NFC/NFD look-alikes,
terminal escapes, spreadsheet formulas), and runs the grader as a TA would: through the
command line (in this process, or in a subprocess where a limit or a second process is
needed). The exercise is the scaffold's ``demo`` (x + 1/x >= 2), as in tests/test_grade.py.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.check import check_file
from checker.cli import run
from checker.engines import portfolio
from checker.exercises import seed_for
from checker.grade import GradeError, Limits, Options, exports, grade, names
from checker.grade.batch import LOCK_FILE
from checker.grade.names import csv_cell, storage_name, visible
from checker.obligations import Obligation, Status, Verdict

from .conftest import ROOT

BUDGET = 1.0
LIMITS = Limits(timeout_s=1.5, memory_mb=1536)


@pytest.fixture(scope="module")
def exercises(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exercises")
    out, code = run(["new", "demo", "--dir", str(root)])
    assert code == 0, out
    toml = root / "misc" / "demo" / "exercise.toml"  # randomized: the id picks the variant
    text = toml.read_text().replace("# [variants]\n# n = ", "[variants]\nn = ")
    toml.write_text(text.replace('givens = ["x > 0"]', 'givens = ["x > 0", "n >= 1"]'))
    return root


@pytest.fixture(scope="module")
def texts(exercises: Path) -> dict[str, bytes]:
    folder = exercises / "misc" / "demo"
    return {"solution": (folder / "solution.proof").read_bytes(),
            "wrong": (folder / "samples" / "wrong.proof").read_bytes()}


def _put(root: Path, rel: bytes | str, data: bytes) -> None:
    """Write a file whose path may be any bytes (a folder unzipped from a Windows zip)."""
    path = os.path.join(os.fsencode(root), rel if isinstance(rel, bytes) else os.fsencode(rel))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _cli(sub: Path, out: Path, exercises: Path, *extra: str) -> tuple[str, int]:
    return run(["grade", str(sub), "--exercises", str(exercises), "--out", str(out),
                "--jobs", "1", "--budget", str(BUDGET), *extra])


def _grade(sub: Path, out: Path, exercises: Path, **kw: Any) -> Any:
    opts = Options(sub, out, exercises, jobs=kw.pop("jobs", 1), budget_s=BUDGET,
                   limits=kw.pop("limits", LIMITS), progress=kw.pop("progress", False), **kw)
    return grade(opts)


def _records(out: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for p in sorted((out / "records").rglob("*.json")):
        found[p.relative_to(out / "records").as_posix()] = json.loads(p.read_text())
    return found


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO(
        (out / "gradebook.csv").read_text()))}


def _all_text(out: Path) -> str:
    return "".join(p.read_text() for p in sorted(out.rglob("*"))
                   if p.is_file() and p.suffix in (".txt", ".json", ".csv", ".md"))


def _tmp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*.tmp")]


# ------------------------------------------------------------------------ 1. identity


def _autograder(tmp_path: Path, proof: bytes, metadata: Any) -> Path:
    root = tmp_path / "autograder"
    _put(root, "submission/p1.proof", proof)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(
            metadata if isinstance(metadata, str) else json.dumps(metadata))
    return root


def test_gradescope_id_comes_only_from_gradescopes_metadata(tmp_path: Path, exercises: Path,
                                                             texts: dict[str, bytes]) -> None:
    """A metadata file the student uploaded cannot choose whose grade (or variant) they get."""
    root = _autograder(tmp_path, texts["wrong"],
                       {"users": [{"email": "ada@example.edu", "id": 7}]})
    (root / "submission" / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"email": "friend@example.edu"}]}))
    out, code = _cli(root / "submission", root / "results", exercises)
    assert code == 0, out
    assert out.splitlines()[0].startswith("layout: Gradescope (one student); 1 student(s)")
    assert "ignored: the submission_metadata.json inside the submission" in out
    rec = json.loads((root / "results" / "records" / "ada@example.edu" /
                      "p1.proof.json").read_text())
    assert rec["student"] == "ada@example.edu"
    assert rec["assessment"]["seed"] == seed_for("ada@example.edu", "demo") != seed_for(
        "friend@example.edu", "demo")
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["extra_data"] == {"student": "ada@example.edu"}
    assert "friend" not in _all_text(root / "results")


def test_gradescope_layout_takes_subfolders_and_hostile_ids(tmp_path: Path, exercises: Path,
                                                            texts: dict[str, bytes]) -> None:
    """--layout gradescope: every file under the submission is the student's; a lone
    surrogate or a 5,000-character id in the metadata is shown escaped and stored hashed."""
    root = tmp_path / "autograder"
    _put(root, "submission/hw3/p1.proof", texts["solution"])
    (root / "submission_metadata.json").write_text(
        '{"users": [{"email": "\\ud800' + "x" * 5000 + '"}]}')
    out, code = _cli(root / "submission", root / "results", exercises, "--layout", "gradescope")
    assert code == 0, out
    (rec,) = _records(root / "results").values()
    assert rec["student"] == "\\ud800" + "x" * 5000 and rec["file"] == "hw3/p1.proof"
    assert rec["status"] == "graded"
    assert "x" * 81 not in out  # long ids are cut in messages and progress lines
    (folder,) = (root / "results" / "students").iterdir()
    assert len(folder.name) < 80 and "~" in folder.name
    # without Gradescope's file, the Gradescope layout is refused rather than guessed
    (root / "submission_metadata.json").unlink()
    out, code = _cli(root / "submission", tmp_path / "o2", exercises, "--layout", "gradescope")
    assert code == 2 and "needs Gradescope's submission_metadata.json" in out
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize("stray", ["root-proof", "parent-metadata", "root-metadata"])
def test_a_mixed_layout_is_a_usage_error(tmp_path: Path, exercises: Path,
                                         texts: dict[str, bytes], stray: str) -> None:
    """A stray .proof at the top of a class folder (or a metadata file beside or in it) no
    longer turns the class into one student with everybody's best files: exit 2, and the
    message says what was found; nothing is written."""
    sub = tmp_path / "class"
    _put(sub, "alice/p1.proof", texts["wrong"])
    _put(sub, "bob/p1.proof", texts["solution"])
    if stray == "root-proof":
        _put(sub, "p1.proof", texts["solution"])
    elif stray == "parent-metadata":
        (tmp_path / "submission_metadata.json").write_text('{"users": [{"email": "x@y"}]}')
    else:
        (sub / "submission_metadata.json").write_text('{"users": [{"email": "x@y"}]}')
    out, code = _cli(sub, tmp_path / "out", exercises)
    assert code == 2, out
    assert "mixes two layouts" in out and "--layout" in out and "\n" not in out.strip()
    assert "2 student folder(s)" in out or "2 folder(s)" in out
    assert not (tmp_path / "out").exists()
    if stray == "root-proof":  # the person grading says which layout it is
        out, code = _cli(sub, tmp_path / "out", exercises, "--layout", "folders")
        assert code == 0, out
        assert "2 student(s)" in out and "not graded: 1 .proof file(s) at the top" in out
        assert set(_gradebook(tmp_path / "out")) == {"alice", "bob"}


def test_layout_and_student_count_are_printed(tmp_path: Path, exercises: Path,
                                              texts: dict[str, bytes]) -> None:
    sub = tmp_path / "class"
    _put(sub, "alice/p1.proof", texts["solution"])
    (sub / "bob").mkdir()
    stream = io.StringIO()
    summary = _grade(sub, tmp_path / "out", exercises, progress=True, stream=stream)
    first = "layout: one folder per student; 2 student(s), 1 submission file(s)"
    assert stream.getvalue().startswith(first)
    assert summary.text(tmp_path / "out").startswith(first)
    run_doc = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run_doc["layout"] == "folders" and run_doc["students"] == 2


# --------------------------------------------------------------------------- 2. names


def _deep(folder: Path, data: bytes, levels: int = 18) -> None:
    """A file more than PATH_MAX (4096 bytes) below ``folder``: built with dir_fd."""
    folder.mkdir(parents=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d" * 250, dir_fd=fd)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("p1.proof", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, data)
        os.close(out)
    finally:
        os.close(fd)


def test_hostile_names_never_crash_the_class(tmp_path: Path, exercises: Path,
                                             texts: dict[str, bytes]) -> None:
    """Invalid UTF-8, 250-byte names, `x.proof` beside `x.proof.json/`, an id that is another
    id's changed name, NFC/NFD look-alikes, escapes and formulas: every student is graded
    under a name of their own, exactly as when graded alone."""
    sol = texts["solution"]
    sub = tmp_path / "class"
    nfc = unicodedata.normalize("NFC", "José")
    nfd = unicodedata.normalize("NFD", "José")
    cases: dict[bytes, list[bytes]] = {
        b"ok": [b"p1.proof"],
        b"bad\xff\xfe": [b"p1.proof"],  # not UTF-8 (a Windows zip, unzipped)
        b"utf": [b"p\xe9.proof"],  # a Latin-1 file name
        b"long": [b"x" * 244 + b".proof"],  # 250 bytes: a record name cannot add to it
        b"clash": [b"x.proof", b"x.proof.json/y.proof"],
        b"a b": [b"p1.proof"],
        os.fsencode(storage_name("a b")): [b"p1.proof"],  # literally the other's name
        nfc.encode(): [b"p1.proof"],
        nfd.encode(): [b"p1.proof"],
        b"Alice": [b"p1.proof"],
        b"alice": [b"p1.proof"],  # the same folder on a case-insensitive file system
        b"=HYPERLINK(\"x\";\"y\")": [b"p1.proof"],
        b"\x1b[31mred\x1b]0;pwned\x07": [b"\x1b[2Jp.proof"],
    }
    for student, files in cases.items():
        for f in files:
            _put(sub, student + b"/" + f, sol)
    _deep(sub / "deep", sol)
    stream = io.StringIO()
    out = tmp_path / "out"
    summary = _grade(sub, out, exercises, jobs=2, progress=True, stream=stream)
    files = sum(len(f) for f in cases.values())  # the deep one cannot even be listed
    assert summary.students == len(cases) + 1 and summary.graded == files
    assert summary.not_graded == 0
    log = stream.getvalue()
    assert "\x1b" not in log and "\x07" not in log
    assert "look-alike student ids" in log and ascii(nfd) in log and ascii(nfc) in log
    assert "deep: the folder" in log and "cannot be read (File name too long)" in log
    book = _gradebook(out)
    assert len(book) == len(cases) + 1  # nobody merged with anybody
    assert all(row["demo"] == "10" for s, row in book.items() if s != "deep")
    assert book["'=HYPERLINK(\"x\";\"y\")"]["total"] == "10"
    assert "bad\\xff\\xfe" in book and "\\x1b[31mred\\x1b]0;pwned\\x07" in book
    folders = list((out / "students").iterdir())
    assert len(folders) == len(cases) + 1
    assert len({f.name.lower() for f in folders}) == len(folders)
    for p in out.rglob("*"):
        assert len(os.fsencode(p.name)) <= 255
        p.relative_to(out).as_posix().encode("ascii")  # storable anywhere
    text = _all_text(out)
    assert "\x1b" not in text and "\x07" not in text
    alone = check_file(sub / "ok" / "p1.proof", budget_s=BUDGET, exercises=exercises,
                       student="ok")
    assert alone.assessment is not None
    assert json.loads((out / "records" / "ok" / "p1.proof.json").read_text())[
        "assessment"] == alone.assessment.to_json()
    clash = sorted(r["file"] for k, r in _records(out).items() if k.startswith("clash/"))
    assert clash == ["x.proof", "x.proof.json/y.proof"]


def test_a_path_the_system_refuses_costs_only_that_submission(
        tmp_path: Path, exercises: Path, texts: dict[str, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A student's folder the grading process cannot enter (simulated: the system refuses
    it) gives that submission the `unreadable` status; the others are graded."""
    real = os.chdir

    def chdir(path: Any) -> None:
        if "unreachable" in str(path):
            raise OSError(36, "File name too long", str(path))
        real(path)
    monkeypatch.setattr(os, "chdir", chdir)  # inherited by the forked workers
    sub = tmp_path / "class"
    _put(sub, "ok/p1.proof", texts["solution"])
    _put(sub, "unreachable/p1.proof", texts["solution"])
    out = tmp_path / "out"
    summary = _grade(sub, out, exercises)
    assert summary.graded == 2 and summary.not_graded == 0
    recs = _records(out)
    assert recs["ok/p1.proof.json"]["assessment"]["passed"] is True
    bad = recs["unreachable/p1.proof.json"]
    assert bad["status"] == "unreadable" and "File name too long" in bad["text"]
    assert "could not be opened" in (out / "students" / "unreachable" /
                                      "feedback.txt").read_text()


def test_a_name_collision_is_refused(tmp_path: Path, exercises: Path,
                                     texts: dict[str, bytes],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ids with one storage name (forced here: a 64-bit hash never collides in
    practice) are refused when the jobs are built, never merged."""
    monkeypatch.setattr(names, "name_hash", lambda data: "0" * 16)
    sub = tmp_path / "class"
    _put(sub, "a b/p1.proof", texts["solution"])
    _put(sub, "a*b/p1.proof", texts["wrong"])
    out, code = _cli(sub, tmp_path / "out", exercises)
    assert code == 2, out
    assert "'a b'" in out and "'a*b'" in out and "would share" in out
    assert not (tmp_path / "out").exists()


def test_names_are_injective_and_visible() -> None:
    assert storage_name("p1.proof") == "p1.proof"
    assert storage_name("P1.proof") != storage_name("p1.proof")
    assert storage_name("\udcff") != storage_name("\\xff") != storage_name("_xff")
    assert visible("a\x1b[2Jb\x07\u202ec\udcff\ud800\n") == "a\\x1b[2Jb\\x07\\u202ec\\xff\\ud800\n"
    assert visible("tab\there", keep="") == "tab\\x09here"


# --------------------------------------------------------------------------- 3. cache


def _broken_caches(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 400)
    yield "corrupt", junk
    folder = tmp_path / "a-folder.sqlite"
    folder.mkdir()
    yield "a folder", folder
    yield "under a file", junk / "cache.sqlite"
    wrong = tmp_path / "wrong.sqlite"
    db = sqlite3.connect(wrong)
    db.execute("CREATE TABLE verdicts (x INTEGER)")
    db.execute("CREATE TABLE claims (y INTEGER)")
    db.commit()
    db.close()
    yield "another schema", wrong


def test_an_unusable_cache_warns_once_and_grades(tmp_path: Path, exercises: Path,
                                                 texts: dict[str, bytes]) -> None:
    sub = tmp_path / "class"
    _put(sub, "a/p1.proof", texts["solution"])
    _put(sub, "b/p1.proof", texts["wrong"])
    _, code = _cli(sub, tmp_path / "plain", exercises, "--no-cache")
    assert code == 0
    expected = _gradebook(tmp_path / "plain")
    for n, (what, cache) in enumerate(_broken_caches(tmp_path)):
        out, code = _cli(sub, tmp_path / f"out{n}", exercises, "--cache", str(cache))
        assert code == 0, (what, out)
        assert out.count("warning: the verdict cache") == 1, (what, out)
        assert "grading without it" in out
        assert _gradebook(tmp_path / f"out{n}") == expected, what


def _immutable(path: Path, on: bool) -> bool:
    """chattr +i / -i (the one read-only that binds root too); False when not available."""
    if shutil.which("chattr") is None:
        return False
    proc = subprocess.run(["chattr", "-R", "+i" if on else "-i", str(path)],
                          capture_output=True, check=False)
    return proc.returncode == 0


def test_a_read_only_cache_warns_and_grades(tmp_path: Path, exercises: Path,
                                            texts: dict[str, bytes]) -> None:
    sub = tmp_path / "class"
    _put(sub, "a/p1.proof", texts["solution"])
    cache = tmp_path / "cache.sqlite"
    _, code = _cli(sub, tmp_path / "first", exercises, "--cache", str(cache))
    assert code == 0
    if not _immutable(cache, True):
        pytest.skip("chattr +i is not available here (we run as root, so chmod does not "
                    "make a file read-only)")
    try:
        out, code = _cli(sub, tmp_path / "second", exercises, "--cache", str(cache))
    finally:
        _immutable(cache, False)
    assert code == 0, out
    assert out.count("warning: the verdict cache") == 1
    assert _gradebook(tmp_path / "second")["a"]["demo"] == "10"


def _limited_check(original: Callable[..., Verdict], marker: Path) -> Callable[..., Verdict]:
    """`slowme` hits the portfolio's hard time limit the first time only (in any process)."""
    def check(ob: Obligation, budget_s: float, mode: str) -> Verdict:
        if "slowme" in set(ob.names) and not marker.exists():
            marker.touch()
            return Verdict(Status.UNKNOWN, "portfolio",
                           "time limit: the check was stopped after 5 s (budget 1 s)")
        if "crashme" in set(ob.names):
            os.kill(os.getpid(), signal.SIGSEGV)
        return original(ob, budget_s, mode)
    return check


def _with_fact(solution: bytes, name: str) -> bytes:
    lines = solution.decode().split("\n")
    return "\n".join([*lines[:2], f"have f: exp({name}) > 0", *lines[2:]]).encode()


def test_limit_verdicts_are_never_shared_through_the_cache(
        tmp_path: Path, exercises: Path, texts: dict[str, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A time-limit verdict stays with the submission that met it (its record says so, and
    a rerun with other limits regrades it); the next student's same step is checked afresh.
    Likewise a step that crashed a worker: the next student's is checked (isolated), not
    served the first one's resource-limit verdict."""
    marker = tmp_path / "slow-once"
    monkeypatch.setattr(portfolio, "_check", _limited_check(portfolio._check, marker))
    sub = tmp_path / "class"
    slow = _with_fact(texts["solution"], "slowme")
    _put(sub, "a/p1.proof", slow)
    _put(sub, "b/p1.proof", slow)
    _put(sub, "c/p1.proof", _with_fact(texts["solution"], "crashme"))
    _put(sub, "d/p1.proof", _with_fact(texts["solution"], "crashme"))
    out = tmp_path / "out"
    _grade(sub, out, exercises)
    recs = _records(out)
    a, b = recs["a/p1.proof.json"], recs["b/p1.proof.json"]
    assert a["limited"] is True and a["resource_limits"][0].startswith("time limit")
    assert b["limited"] is False and b["assessment"]["passed"] is True
    for key in ("c/p1.proof.json", "d/p1.proof.json"):
        rec = recs[key]
        assert rec["limited"] is True and rec["meta"]["isolated"] is True, key
        assert "crashed" in rec["resource_limits"][0]
    db = sqlite3.connect(out / "cache.sqlite")
    stored = [v for (v,) in db.execute("SELECT verdict FROM verdicts")]
    db.close()
    assert stored and not any("time limit" in v or "resource limit" in v for v in stored)
    assert _grade(sub, out, exercises).graded == 0  # the same limits: nothing to redo
    again = _grade(sub, out, exercises, limits=Limits(timeout_s=3.0, memory_mb=1536))
    assert again.graded == 3  # a, c and d were decided by a limit; b was not
    assert _records(out)["a/p1.proof.json"]["assessment"]["passed"] is True


# ------------------------------------------------------------------ 4. the results folder


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_out_never_overlaps_the_submissions(tmp_path: Path, exercises: Path,
                                            texts: dict[str, bytes], where: str) -> None:
    sub = tmp_path / "class"
    _put(sub, "alice/p1.proof", texts["solution"])
    out = {"same": sub, "inside": sub / "alice" / "results", "around": tmp_path}[where]
    before = sorted(p.name for p in sub.rglob("*"))
    text, code = _cli(sub, out, exercises)
    assert code == 2 and text.startswith("proofcheck: error:") and "\n" not in text
    assert sorted(p.name for p in sub.rglob("*")) == before


def test_a_second_run_on_the_same_out_stops_at_once(tmp_path: Path, exercises: Path,
                                                    texts: dict[str, bytes]) -> None:
    """Another process holds RESULTS: exit 2 naming it; once it is killed, the lock is gone."""
    sub = tmp_path / "class"
    _put(sub, "alice/p1.proof", texts["solution"])
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from checker.grade.batch import OutputLock\n"
         "with OutputLock(Path(sys.argv[1])):\n    print('locked', flush=True)\n"
         "    time.sleep(120)", str(out)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        text, code = _cli(sub, out, exercises)
        assert code == 2, text
        assert f"another proofcheck grade run is writing to {out} (process {holder.pid})" \
            in text
        assert not (out / "gradebook.csv").exists()
    finally:
        holder.kill()
        holder.wait()
    text, code = _cli(sub, out, exercises)
    assert code == 0, text
    with open(out / LOCK_FILE, "rb") as fh:  # released at the end of the run
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_concurrent_runs_one_wins_the_other_exits_2(tmp_path: Path, exercises: Path,
                                                     texts: dict[str, bytes]) -> None:
    """Two real `proofcheck grade` processes on one RESULTS: one grades, one exits 2."""
    sub = tmp_path / "class"
    for i in range(8):  # long enough that the second process starts while the first grades
        _put(sub, f"s{i}/p1.proof", texts["solution" if i % 2 else "wrong"] + b"#%d\n" % i)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "checker", "grade", str(sub), "--exercises", str(exercises),
           "--out", str(out), "--jobs", "1", "--budget", str(BUDGET)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], results
    loser = results[[p.returncode for p in procs].index(2)]
    assert "another proofcheck grade run is writing" in loser[0]
    assert "Traceback" not in loser[1]
    assert len(_gradebook(out)) == 8 and not _tmp_files(out)


def test_another_class_needs_force_and_stale_students_go(tmp_path: Path, exercises: Path,
                                                         texts: dict[str, bytes]) -> None:
    one, two, out = tmp_path / "one", tmp_path / "two", tmp_path / "out"
    _put(one, "a1/p1.proof", texts["solution"])
    _put(one, "a2/p1.proof", texts["wrong"])
    _put(two, "b1/p1.proof", texts["solution"])
    assert _cli(one, out, exercises)[1] == 0
    shutil.rmtree(one / "a2")  # a student who left: their feedback and record go too
    (out / "students" / "a1" / "notes.txt").write_text("the TA's own file stays")
    assert _cli(one, out, exercises)[1] == 0
    assert sorted(p.name for p in (out / "students").iterdir()) == ["a1"]
    assert sorted(p.name for p in (out / "records").iterdir()) == ["a1"]
    before = _records(out)
    text, code = _cli(two, out, exercises)
    assert code == 2 and "--force" in text and str(one) in text
    assert _records(out) == before and set(_gradebook(out)) == {"a1"}
    text, code = _cli(two, out, exercises, "--force")
    assert code == 0, text
    assert set(_gradebook(out)) == {"b1"}
    assert sorted(p.name for p in (out / "students").iterdir()) == ["a1", "b1"]
    assert [p.name for p in (out / "students" / "a1").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in (out / "records").iterdir()) == ["b1"]


def _fsize_limit(limit: int) -> Callable[[], None]:
    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return limit_files


def test_a_full_disk_is_one_line_and_nothing_half_written(tmp_path: Path, exercises: Path,
                                                          texts: dict[str, bytes]) -> None:
    """RLIMIT_FSIZE makes every write past 1 kB fail as a full disk does (EFBIG)."""
    sub = tmp_path / "class"
    _put(sub, "a/p1.proof", texts["solution"])
    _put(sub, "b/p1.proof", texts["wrong"])
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "grade", str(sub), "--exercises", str(exercises),
         "--out", str(out), "--jobs", "1", "--budget", str(BUDGET)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        preexec_fn=_fsize_limit(1024), timeout=300, check=False)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("proofcheck: error: cannot write the "
                                                   "results in"), proc.stdout
    assert "File too large" in lines[0] and "Traceback" not in proc.stderr
    assert not _tmp_files(out)
    for p in out.rglob("*.json"):
        json.loads(p.read_text())  # whatever exists is whole
    assert _cli(sub, out, exercises)[1] == 0  # space again: the same command finishes


def test_a_read_only_out_is_one_line(tmp_path: Path, exercises: Path,
                                     texts: dict[str, bytes]) -> None:
    sub = tmp_path / "class"
    _put(sub, "a/p1.proof", texts["solution"])
    out = tmp_path / "out"
    assert _cli(sub, out, exercises)[1] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _put(sub, "a/p1.proof", texts["wrong"])  # something to write
    if not _immutable(out, True):
        pytest.skip("chattr +i is not available here (we run as root, so chmod does not "
                    "make a folder read-only)")
    try:
        text, code = _cli(sub, out, exercises)
    finally:
        _immutable(out, False)
    assert code == 2 and "\n" not in text, text
    assert text.startswith("proofcheck: error: cannot write the results in")
    assert "Operation not permitted" in text
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_atomic_writes_leave_the_old_file_and_no_temporary(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    target = tmp_path / "gradebook.csv"
    exports.write_text(target, "old\n")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError):
        exports.write_text(target, "new\n")
    assert target.read_text() == "old\n" and list(tmp_path.iterdir()) == [target]


def test_grade_error_from_the_api_is_one_line(tmp_path: Path, exercises: Path) -> None:
    (tmp_path / "class").mkdir()
    with pytest.raises(GradeError, match="inside it"):
        _grade(tmp_path / "class", tmp_path / "class", exercises)


# ------------------------------------------------------------------------- 5. exports


def test_csv_cells_are_neutralised_per_owasp() -> None:
    for start in ("=", "+", "-", "@"):
        assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("\tx") == "\\x09x" and csv_cell("\rx") == "\\x0dx"  # visible, inert
    assert csv_cell("alice") == "alice" and csv_cell("a=b") == "a=b"


def test_terminal_escapes_in_a_proof_are_shown_not_played(tmp_path: Path, exercises: Path,
                                                          texts: dict[str, bytes]) -> None:
    lines = texts["solution"].split(b"\n")
    hostile = b"\n".join([*lines[:2], b"have h: x \x1b[2J\x1b]0;owned\x07 > 0", *lines[2:]])
    sub = tmp_path / "class"
    _put(sub, "eve/p1.proof", hostile)
    stream = io.StringIO()
    out = tmp_path / "out"
    _grade(sub, out, exercises, progress=True, stream=stream)
    feedback = (out / "students" / "eve" / "feedback.txt").read_text()
    assert "\\x1b[2J" in feedback and "\x1b" not in feedback and "\x07" not in feedback
    assert "\x1b" not in _all_text(out) and "\x1b" not in stream.getvalue()
