"""Attacks on soundness: proofs a cheating student would try, each of which must be rejected.

Every case is a file in `data/attacks/`: a `.proof` checked through the command line
(`proofcheck check`, in a subprocess) and through `check_text`, or a `.claim` checked through
`proofcheck claim` and `check_claim`. A new case is a new file, picked up automatically.

A file opens with a comment header:

    # attack: what the file attacks (one or more lines; `attack (variant):` for a variant)
    # must: what has to happen
    # expect: ...                       one or more, each checked on both paths
    # budget: SECONDS                   optional, the time budget per obligation
    # timeout: SECONDS                  optional, how long the whole file may take

The expectations (line numbers count every line of the file, the header included):

    not-proved line N[|M...]            a step on one of these lines is not proved, or a
                                        diagnostic points at one of them
    refuted line N                      a step on line N is refuted
    proved line N                       every step on line N is proved
    verdict line N                      line N gets a verdict (any)
    error line N                        an error diagnostic points at line N
    cites line M at line N              the answer on line N is not proved and names line M
    as-strong line N as line M          line N's verdict is at least line M's (proved if M is
                                        proved, refuted if M is refuted)
    counterexample line N where V OP Q  if line N is refuted on its relation (not on where it
                                        is defined), the counterexample has V OP Q
    silent "TEXT"                       no output line and no reason says TEXT
    exit A|B                            the exit code is one of these (by default: not 0)
    refuted / not-proved                (claims) the claim's verdict

Whatever the expectations, a case never crashes: no traceback, no `internal-error`.
"""

from __future__ import annotations

import json
import multiprocessing
import operator
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from checker import Status, check_claim, check_text

from .conftest import ROOT

DATA = Path(__file__).resolve().parent / "data" / "attacks"
PROOFS = sorted(DATA.glob("*.proof"))
CLAIMS = sorted(DATA.glob("*.claim"))

DEFAULT_TIMEOUT_S = 300.0
# warnings that say nothing about a step: they do not count as naming a line
NEUTRAL_CODES = {"missing-header", "unknown-exercise", "undeclared-variable"}
STATUSES = ("proved", "refuted", "plausible", "unknown")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "!=": operator.ne,
}


@dataclass
class Case:
    path: Path
    attack: str = ""
    must: str = ""
    expects: list[str] = field(default_factory=list)
    budget: float | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    timed: bool = False  # the file sets its own time-out
    claim: str = ""
    assume: list[str] = field(default_factory=list)

    @property
    def exits(self) -> set[int] | None:
        for e in self.expects:
            if m := re.fullmatch(r"exit ([\d|]+)", e):
                return {int(c) for c in m.group(1).split("|")}
        return None


HEADER = re.compile(r"#\s*(attack|must|expect|budget|timeout)(?: \(variant\))?:\s*(.*)")


def read_case(path: Path) -> Case:
    case = Case(path)
    last = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if m := HEADER.fullmatch(line):
            key, value = m.groups()
            last = key
            if key == "expect":
                case.expects.append(value.strip())
            elif key in ("budget", "timeout"):
                setattr(case, key, float(value))
                case.timed = case.timed or key == "timeout"
            else:
                setattr(case, key, (getattr(case, key) + " " + value).strip())
        elif line.startswith("#") and last in ("attack", "must"):
            setattr(case, last, getattr(case, last) + " " + line.lstrip("#").strip())
        elif path.suffix == ".claim":
            last = ""
            if m := re.fullmatch(r"claim\s+(.*)", line):
                case.claim = m.group(1)
            elif m := re.fullmatch(r"assume\s+(.*)", line):
                case.assume.append(m.group(1))
        else:
            last = ""
    return case


# ---------------------------------------------------------------------------------------------
# What one run (command line or API) said, in one shape


@dataclass
class Said:
    """The verdicts and diagnostics of one run, by line."""

    exit_code: int
    verdicts: dict[int, list[tuple[str, str]]]  # line -> [(status, reason or output line)]
    counterexamples: dict[int, list[dict[str, Any]]]
    diagnostics: dict[int, list[tuple[str, str]]]  # line -> [(severity, code)]
    text: str  # everything said, to search for messages
    crashed: str = ""

    def lines_text(self, line: int) -> str:
        return "\n".join(reason for _, reason in self.verdicts.get(line, []))


def _run_with_timeout(fn: Callable[[], Any], timeout: float) -> Any:
    """Run fn in a daemon thread, so that a slow answer fails the test. (A thread cannot stop
    a computation that holds the GIL: files that may hang set `# timeout:` and run in a child
    process instead, see said_by_api.)"""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # reported as a crash below
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        pytest.fail(f"did not finish within {timeout:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def said_by_cli(case: Case) -> Said:
    argv = [sys.executable, "-m", "checker", "check", "--format", "json", str(case.path)]
    if case.budget is not None:
        argv[4:4] = ["--budget", str(case.budget)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=case.timeout,
                              check=False, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`proofcheck check` did not finish within {case.timeout:.0f} s")
    crashed = ""
    if "Traceback" in proc.stdout + proc.stderr:
        crashed = (proc.stdout + proc.stderr)[-2000:]
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return Said(proc.returncode, {}, {}, {}, proc.stdout + proc.stderr,
                    crashed or f"no JSON output:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    text_out = ""
    if any(e.startswith("silent") for e in case.expects):
        # the text output too: the messages as a student reads them
        text_argv = [a for a in argv if a not in ("--format", "json")]
        text_proc = subprocess.run(text_argv, capture_output=True, text=True,
                                   timeout=case.timeout, check=False, cwd=ROOT)
        if "Traceback" in text_proc.stdout + text_proc.stderr:
            crashed = (text_proc.stdout + text_proc.stderr)[-2000:]
        text_out = text_proc.stdout
    verdicts: dict[int, list[tuple[str, str]]] = {}
    cxs: dict[int, list[dict[str, Any]]] = {}
    diags: dict[int, list[tuple[str, str]]] = {}
    for f in doc["files"]:
        for s in f["steps"]:
            reason = f"{s.get('text', '')} [{s.get('reason', '')}]"
            verdicts.setdefault(s["line"], []).append((s["verdict"], reason))
            cx = s.get("counterexample")
            if s["verdict"] == "refuted" and cx:
                cxs.setdefault(s["line"], []).append(_cx_values(cx, s.get("reason", "")))
        for d in f["diagnostics"]:
            diags.setdefault(d.get("line", 0), []).append((d.get("severity", ""), d["code"]))
    # each output line that gives a verdict, by the line it is about
    for out in text_out.splitlines():
        if m := re.match(rf"{re.escape(str(case.path))}:(\d+): ({'|'.join(STATUSES)})\b", out):
            verdicts.setdefault(int(m.group(1)), []).append((m.group(2), out))
    if any(code == "internal-error" for ds in diags.values() for _, code in ds):
        crashed = crashed or "internal-error diagnostic"
    messages = "\n".join(json.dumps(doc, ensure_ascii=False, indent=1).splitlines())
    return Said(doc.get("exit_code", proc.returncode), verdicts, cxs, diags,
                messages + "\n" + text_out, crashed)


def _cx_values(cx: dict[str, str], reason: str) -> dict[str, Any]:
    """The JSON counterexample {name: value} with exact values, and the reason it was given."""
    out: dict[str, Any] = {}
    for n, q in cx.items():
        try:
            out[str(n)] = Fraction(str(q))
        except ValueError:
            out[str(n)] = str(q)
    out["__reason__"] = reason
    return out


def said_by_api(case: Case) -> Said:
    """check_text on the file; a file with a time-out runs in a child process, killed when
    it takes too long (a runaway check must not go on eating the suite's time)."""
    if not case.timed:
        return _run_with_timeout(lambda: _said_by_check_text(case), case.timeout)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_said_in_child, args=(case, child), daemon=True)
    worker.start()
    child.close()
    if not parent.poll(case.timeout):
        worker.kill()
        worker.join()
        pytest.fail(f"check_text did not finish within {case.timeout:.0f} s")
    said: Said = parent.recv()
    worker.join()
    return said


def _said_in_child(case: Case, conn: Any) -> None:
    try:
        said = _said_by_check_text(case)
    except BaseException as exc:
        said = Said(2, {}, {}, {}, "", f"check_text raised {exc!r}")
    conn.send(said)
    conn.close()


def _said_by_check_text(case: Case) -> Said:
    kwargs: dict[str, Any] = {"path": str(case.path)}
    if case.budget is not None:
        kwargs["budget_s"] = case.budget
    result = check_text(case.path.read_text(), **kwargs)
    verdicts: dict[int, list[tuple[str, str]]] = {}
    cxs: dict[int, list[dict[str, Any]]] = {}
    diags: dict[int, list[tuple[str, str]]] = {}
    texts = []
    for s in result.steps:
        reason = f"{s.text} [{s.verdict.reason}]"
        verdicts.setdefault(s.line, []).append((s.verdict.status.value, reason))
        texts.append(reason)
        cx = s.verdict.counterexample
        if s.verdict.status is Status.REFUTED and cx is not None:
            values: dict[str, Any] = {n: Fraction(q) for n, q in cx.values}
            values["__reason__"] = s.verdict.reason
            cxs.setdefault(s.line, []).append(values)
    for d in result.diagnostics:
        diags.setdefault(d.line, []).append((d.severity, d.code))
        texts.append(d.message)
    texts += [text for _, text in result.notes]
    crashed = ""
    if any(d.code == "internal-error" for d in result.diagnostics):
        crashed = "internal-error: " + "; ".join(
            d.message for d in result.diagnostics if d.code == "internal-error")
    return Said(result.exit_code, verdicts, cxs, diags, "\n".join(texts), crashed)


# ---------------------------------------------------------------------------------------------
# The expectations


def _lines(spec: str) -> list[int]:
    return [int(n) for n in spec.split("|")]


def _named(said: Said, line: int) -> bool:
    """Is this line named: a verdict other than proved, or a diagnostic that points at it?"""
    if any(status != "proved" for status, _ in said.verdicts.get(line, [])):
        return True
    return any(code not in NEUTRAL_CODES for _, code in said.diagnostics.get(line, []))


def _statuses(said: Said, line: int) -> set[str]:
    return {status for status, _ in said.verdicts.get(line, [])}


def check_expectations(case: Case, said: Said, where: str) -> None:
    assert "" == said.crashed, f"{where}: crashed on {case.path.name}"
    exits = case.exits
    if exits is None:
        assert 0 != said.exit_code, f"{where}: {case.path.name} was accepted (exit 0)"
    else:
        assert said.exit_code in exits, f"{where}: exit {said.exit_code}, expected {exits}"
    for e in case.expects:
        if re.fullmatch(r"exit [\d|]+", e):
            continue
        if m := re.fullmatch(r"not-proved line ([\d|]+)", e):
            lines = _lines(m.group(1))
            assert any(_named(said, n) for n in lines), (
                f"{where}: line {m.group(1)} is not named: "
                f"{ {n: said.verdicts.get(n) for n in lines} }")
        elif m := re.fullmatch(r"refuted line (\d+)", e):
            n = int(m.group(1))
            assert "refuted" in _statuses(said, n), f"{where}: line {n}: {said.verdicts.get(n)}"
        elif m := re.fullmatch(r"proved line (\d+)", e):
            n = int(m.group(1))
            assert {"proved"} == _statuses(said, n), f"{where}: line {n}: {said.verdicts.get(n)}"
        elif m := re.fullmatch(r"verdict line (\d+)", e):
            n = int(m.group(1))
            assert _statuses(said, n), f"{where}: no verdict on line {n}"
        elif m := re.fullmatch(r"error line (\d+)", e):
            n = int(m.group(1))
            assert "error" in {sev for sev, _ in said.diagnostics.get(n, [])}, (
                f"{where}: no error on line {n}: {said.diagnostics}")
        elif m := re.fullmatch(r"cites line (\d+) at line (\d+)", e):
            cited, n = int(m.group(1)), int(m.group(2))
            assert _named(said, n), f"{where}: line {n} is proved: {said.verdicts.get(n)}"
            assert re.search(rf"\bline {cited}\b", said.lines_text(n)), (
                f"{where}: line {n} does not name line {cited}: {said.verdicts.get(n)}")
        elif m := re.fullmatch(r"as-strong line (\d+) as line (\d+)", e):
            n, ref = int(m.group(1)), int(m.group(2))
            for status in ("proved", "refuted"):
                if {status} == _statuses(said, ref):
                    assert {status} == _statuses(said, n), (
                        f"{where}: line {ref} is {status} alone, but line {n} (the same step "
                        f"with its citation) is {said.verdicts.get(n)}")
        elif m := re.fullmatch(r"counterexample line (\d+) where (\w+) (<=|>=|!=|<|>|=) (\S+)", e):
            n, name, op, bound = int(m.group(1)), m.group(2), m.group(3), Fraction(m.group(4))
            for values in said.counterexamples.get(n, []):
                reason = str(values.get("__reason__", ""))
                if "not defined" in reason or not isinstance(values.get(name), Fraction):
                    continue
                assert COMPARE[op](values[name], bound), (
                    f"{where}: line {n} is refuted at {name} = {values[name]}, where it is not "
                    f"defined ({name} {op} {bound} fails): {reason}")
        elif m := re.fullmatch(r'silent "(.+)"', e):
            phrase = m.group(1).lower()
            offending = [t for t in said.text.splitlines() if phrase in t.lower()]
            assert not offending, f"{where}: says {m.group(1)!r}: {offending}"
        elif e in ("refuted", "not-proved"):
            continue  # claims: checked by the claim tests
        else:
            pytest.fail(f"{case.path.name}: unknown expectation {e!r}")


# ---------------------------------------------------------------------------------------------
# The tests


def test_every_case_says_what_it_attacks() -> None:
    """Each file has its header: what it attacks, what must happen, at least one expectation."""
    assert PROOFS and CLAIMS
    for path in PROOFS + CLAIMS:
        case = read_case(path)
        assert case.attack and case.must and case.expects, path.name
        lines = path.read_text().splitlines()
        for e in case.expects:
            for spec in re.findall(r"line ([\d|]+)", e):
                for n in _lines(spec):
                    assert 1 <= n <= len(lines), f"{path.name}: no line {n}"
                    assert not lines[n - 1].lstrip().startswith("#"), (
                        f"{path.name}: line {n} is a comment")


# Every attack goes through check_text in the default run; through the command line (a new
# process each, about 2 s of CPU time for the imports alone) a sample of six kinds, and all
# of them in the slow profile (`pytest -m slow`).
CLI_SAMPLE = {"citation_hides_counterexample", "contradictory_assume", "goal_definedness_chain",
              "messages_refuted_step_goal", "undefined_argument_log", "untied_hoeffding_any_n"}


def _cli_params(paths: list[Path]) -> list[Any]:
    return [p if p.stem in CLI_SAMPLE else pytest.param(p, marks=pytest.mark.slow)
            for p in paths]


@pytest.mark.parametrize("path", _cli_params(PROOFS), ids=lambda p: p.stem)
def test_attack_through_the_command_line(path: Path) -> None:
    """`proofcheck check FILE` rejects the attack (exit not 0) and names the offending line."""
    case = read_case(path)
    check_expectations(case, said_by_cli(case), "proofcheck check")


@pytest.mark.parametrize("path", PROOFS, ids=lambda p: p.stem)
def test_attack_through_check_text(path: Path) -> None:
    """`check_text` says the same: not accepted, the offending line named."""
    case = read_case(path)
    check_expectations(case, said_by_api(case), "check_text")


def _claim_status_ok(case: Case, status: str) -> bool:
    if "refuted" in case.expects:
        return "refuted" == status
    return "proved" != status


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.stem)
def test_claim_attack_through_the_command_line(path: Path) -> None:
    """`proofcheck claim CLAIM --assume ...` gives the expected verdict, exit 1."""
    case = read_case(path)
    argv = [sys.executable, "-m", "checker", "claim", case.claim]
    for a in case.assume:
        argv += ["--assume", a]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=case.timeout,
                          check=False, cwd=ROOT)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
    assert 1 == proc.returncode, proc.stdout
    first = proc.stdout.split(maxsplit=1)[0] if proc.stdout.strip() else ""
    assert _claim_status_ok(case, first), proc.stdout


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.stem)
def test_claim_attack_through_check_claim(path: Path) -> None:
    """`check_claim` gives the same verdict."""
    case = read_case(path)
    result = _run_with_timeout(lambda: check_claim(case.claim, case.assume), case.timeout)
    assert 1 == result.exit_code
    assert _claim_status_ok(case, result.verdict.status.value), (
        f"{result.verdict.status.value}: {result.verdict.reason}")
