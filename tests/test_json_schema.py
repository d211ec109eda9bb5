"""The JSON outputs against their documented schema (docs/schema/result.schema.json): real
output of ``check --format json`` (passed, failed, blocked, standalone), of ``claim`` (a
verdict and an unreadable claim) and the grader's records; and what a step's ``text``,
``lhs`` and ``rhs`` hold."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from checker.cli import run
from checker.grade import Limits, Options, grade
from checker.results import SCHEMA_VERSION

from .conftest import EXERCISES, ROOT

SCHEMA_FILE = ROOT / "docs" / "schema" / "result.schema.json"
AGNOSTIC = EXERCISES / "generalization" / "finite_class_agnostic" / "solution.proof"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())


def _validator(part: str | None = None) -> jsonschema.Draft202012Validator:
    schema = SCHEMA if part is None else {"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{part}"}
    return jsonschema.Draft202012Validator(schema)


def _valid(doc: Any, part: str) -> None:
    """Valid as ``part`` and as a proofcheck output at all (the top-level oneOf)."""
    for v in (_validator(part), _validator()):
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        assert not errors, [f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5]]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$defs"]["schema_version"] == {"const": SCHEMA_VERSION}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("json")
    text = AGNOSTIC.read_text()
    out = {"solution": AGNOSTIC}
    for name, content in {
        "wrong": text.replace("= 2*H*exp(-log(2*H/delta))", "= 2*H*exp(-2*log(2*H/delta))"),
        "blocked": "exercise finite_class_agnostic\ngiven x real\nhave h: 2x >= x\n",
        "standalone": "given x in [0, 1]\nhave h: x^2 <= x   by algebra\n"
                      "show x^2 <= 1\n  x^2 <= x\n    <= 1\nqed\n",
        "unknown_exercise": "exercise no_such_exercise\ngiven x > 0\nhave h: x + 1 > x\n",
    }.items():
        p = folder / f"{name}.proof"
        p.write_text(content)
        out[name] = p
    return out


@pytest.mark.parametrize("name,code", [("solution", 0), ("wrong", 1), ("blocked", 2),
                                       ("standalone", 0), ("unknown_exercise", 1)])
def test_check_output_matches_the_schema(files: dict[str, Path], name: str, code: int) -> None:
    out, exit_code = run(["check", str(files[name]), "--format", "json", "--budget", "5"])
    doc = json.loads(out)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert exit_code == doc["exit_code"]
    if name in ("wrong", "blocked"):
        assert exit_code == code
    _valid(doc, "check_output")


def test_several_files_in_one_document(files: dict[str, Path]) -> None:
    out, _ = run(["check", str(files["blocked"]), str(files["standalone"]), "--format", "json"])
    doc = json.loads(out)
    assert [Path(f["path"]).name for f in doc["files"]] == ["blocked.proof", "standalone.proof"]
    _valid(doc, "check_output")


def test_claim_outputs_match_the_schema() -> None:
    refuted = json.loads(run(["claim", "x^2 >= x", "--format", "json"])[0])
    _valid(refuted, "claim_output")
    assert refuted["counterexample_sides"] == {"lhs": "0.25", "rhs": "0.5"}
    proved = json.loads(run(["claim", "0 <= x^2 <= x^2 + 1", "--format", "json"])[0])
    _valid(proved, "claim_output")
    error, code = run(["claim", "x +* 2 > 0", "--format", "json"])
    assert code == 2
    _valid(json.loads(error), "claim_error")


def test_a_step_says_which_side_is_which(files: dict[str, Path]) -> None:
    """``text`` is the whole step; ``lhs``/``rhs`` its sides as written: a chain step's left
    side is the previous step's right side (its text in the file is only ``= b``)."""
    doc = json.loads(run(["check", str(files["wrong"]), "--format", "json"])[0])
    steps = {s["line"]: s for s in doc["files"][0]["steps"] if s["kind"] == "step"}
    assert steps[8]["lhs"] == "2*H*exp(-2*m*eps^2)"
    assert steps[8]["rhs"] == "2*H*exp(-2*log(2*H/delta))"
    assert steps[8]["text"] == "2*H*exp(-2*m*eps^2) = 2*H*exp(-2*log(2*H/delta))"
    assert steps[9]["lhs"] == steps[8]["rhs"] and steps[10]["lhs"] == steps[9]["rhs"]
    for s in steps.values():
        assert s["text"] == f"{s['lhs']} {s['relation']} {s['rhs']}"
    # the refuted step: its sides at the counterexample are apart from its sides as written
    assert steps[8]["verdict"] == "refuted"
    assert set(steps[8]["counterexample_sides"]) == {"lhs", "rhs"}
    fact = next(s for s in doc["files"][0]["steps"] if s["kind"] == "fact")
    assert (fact["text"], fact["lhs"], fact["rhs"]) == (
        "exponent: 2*m*eps^2 = log(2*H/delta)", "2*m*eps^2", "log(2*H/delta)")


def test_the_schema_refuses_what_it_does_not_document(files: dict[str, Path]) -> None:
    """The check can fail: an undocumented field, another version, a wrong verdict word."""
    doc = json.loads(run(["check", str(files["wrong"]), "--format", "json"])[0])
    v = _validator("check_output")
    assert v.is_valid(doc)
    for change in (lambda d: d["files"][0]["steps"][0].update(extra=1),
                   lambda d: d.update(schema_version=SCHEMA_VERSION + 1),
                   lambda d: d["files"][0]["steps"][0].update(verdict="true"),
                   lambda d: d["files"][0]["steps"][0].pop("lhs"),
                   lambda d: d["files"][0].update(exit_code=3)):
        bad = copy.deepcopy(doc)
        change(bad)
        assert not v.is_valid(bad)


def test_grader_records_match_the_schema(tmp_path: Path) -> None:
    """Every record of a small class (right, wrong, unreadable, no exercise line)."""
    root = tmp_path / "exercises"
    out, code = run(["new", "demo", "--dir", str(root)])
    assert code == 0, out
    demo = root / "misc" / "demo"
    sub = tmp_path / "sub"
    for student, text in {"ada": (demo / "solution.proof").read_text(),
                          "bob": (demo / "samples" / "wrong.proof").read_text(),
                          "cy": "exercise demo\nhave h: 2x >= x\n",
                          "dee": "given x > 0\n"}.items():
        (sub / student).mkdir(parents=True)
        (sub / student / "p1.proof").write_text(text)
    results = tmp_path / "out"
    grade(Options(sub, results, root, jobs=1, budget_s=2.0,
                  limits=Limits(timeout_s=20, memory_mb=2048), progress=False))
    records = sorted((results / "records").rglob("*.json"))
    assert len(records) == 4
    statuses = set()
    for p in records:
        rec = json.loads(p.read_text())
        assert rec["schema_version"] == SCHEMA_VERSION
        statuses.add(rec["status"])
        _valid(rec, "record")
    assert statuses == {"graded", "blocked", "no-exercise"}
    # the steps' sides are drawn as MathML when the page is written, from the records' text
    page = (results / "students" / "ada" / "feedback.html").read_text()
    assert page.count("<math") >= 3, page


def test_docs_show_a_valid_step_and_name_every_field() -> None:
    """docs/reports.md's example step is valid, and its table names every step field."""
    import re

    doc = (ROOT / "docs" / "reports.md").read_text()
    m = re.search(r"<!-- schema: (\w+) -->\s*```json\n(.*?)```", doc, re.S)
    assert m is not None
    _valid_part(json.loads(m.group(2)), m.group(1))
    fields = set(SCHEMA["$defs"]["step"]["properties"]) | set(
        SCHEMA["$defs"]["verdict_fields"]["properties"])
    for name in sorted(fields - {"claim"}):  # `claim` is the records' own (docs/grading.md)
        assert f"`{name}`" in doc, name


def _valid_part(doc: Any, part: str) -> None:
    errors = list(_validator(part).iter_errors(doc))
    assert not errors, [e.message[:300] for e in errors[:5]]
