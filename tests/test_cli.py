"""The command line as a user meets it: real files, exit codes, text and JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import run

from .conftest import EXERCISES, ROOT


def test_example_proof_is_proved(agnostic: Path) -> None:
    """The README's example: every step of the finite-class sketch is proved; exit 0."""
    out, code = run(["check", str(agnostic)])
    assert code == 0
    lines = [line for line in out.splitlines() if ":8:" in line or ":9:" in line or ":10:" in line]
    assert len(lines) == 3
    assert all(": proved" in line for line in lines)
    assert out.splitlines()[-1].endswith("0 refuted, 0 plausible, 0 unknown")
    assert "exercise finite_class_agnostic" in out and "passed" in out


def test_wrong_step_is_refuted(tmp_path: Path, agnostic: Path) -> None:
    """One wrong step (a factor 2 in the exponent) is refuted with a counterexample; exit 1."""
    text = agnostic.read_text().replace("= 2*H*exp(-log(2*H/delta))",
                                        "= 2*H*exp(-2*log(2*H/delta))")
    bad = tmp_path / "wrong.proof"
    bad.write_text(text)
    out, code = run(["check", str(bad)])
    assert code == 1
    step = next(line for line in out.splitlines() if "wrong.proof:8:" in line)
    assert ": refuted" in step
    assert "counterexample:" in out
    assert "proved" not in step


def test_json_output_has_the_same_content(agnostic: Path) -> None:
    """--format json carries each step's line, relation, verdict, engine and reason."""
    out, code = run(["check", str(agnostic), "--format", "json"])
    doc = json.loads(out)
    assert 0 == code == doc["exit_code"]
    steps = doc["files"][0]["steps"]
    by_line = {s["line"]: s for s in steps}
    assert {"proved"} == {by_line[n]["verdict"] for n in (8, 9, 10)}
    assert by_line[8]["relation"] == "="
    assert by_line[8]["engine"]
    assert doc["files"][0]["summary"]["proved"] == len(steps)


def test_show_parsed_echoes_the_reading(tmp_path: Path) -> None:
    """--show-parsed shows precedence (-x^2 is -(x^2)) and let definitions."""
    f = tmp_path / "p.proof"
    f.write_text("exercise t\ngiven x real\nlet y = x + 1\nhave h: -x^2 + y <= y by algebra\n")
    out, _ = run(["check", str(f), "--show-parsed"])
    assert "read as: -(x^2) + y <= y   where y = x + 1" in out


def test_parse_errors_exit_2_and_point_at_the_line(tmp_path: Path) -> None:
    """A parse error is reported as FILE:LINE:COL with a caret, and blocks checking (exit 2)."""
    f = tmp_path / "bad.proof"
    f.write_text("exercise t\ngiven x real\nhave h: 2x >= x\n")
    out, code = run(["check", str(f)])
    assert code == 2
    assert f"{f}:3:10: error: missing an operator between '2' and 'x'" in out
    assert "[missing-operator]" in out
    assert "         ^" in out


def test_missing_file_is_a_coded_error(tmp_path: Path) -> None:
    """A file that does not exist gives file-not-found and exit 2."""
    out, code = run(["check", str(tmp_path / "nope.proof")])
    assert code == 2
    assert "[file-not-found]" in out


def test_claim_command_text_and_json() -> None:
    """proofcheck claim prints the verdict; JSON has verdict, engine, counterexample, time_s."""
    out, code = run(["claim", "x^2 + y^2 >= 2*x*y"])
    assert code == 0
    assert out.startswith("proved")
    out, code = run(["claim", "exp(x) >= 1 + x + x^2/2", "--assume", "x in [-2, 2]",
                     "--format", "json"])
    doc = json.loads(out)
    assert code == 1
    assert doc["verdict"] == "refuted"
    assert {"verdict", "engine", "counterexample", "time_s"} <= set(doc)
    assert float(doc["counterexample"]["x"].split("/")[0]) < 0


def test_claim_parse_error_is_exit_2() -> None:
    """A claim that cannot be read is a coded error with exit 2."""
    out, code = run(["claim", "x +* 2 > 0"])
    assert code == 2
    assert "error:" in out


def test_version() -> None:
    """--version prints the version through the console script."""
    proc = subprocess.run([sys.executable, "-m", "checker", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("proofcheck ")


@pytest.mark.parametrize("path", sorted(EXERCISES.rglob("*.proof")), ids=lambda p: p.name)
def test_shipped_examples_parse(path: Path) -> None:
    """Every shipped example parses without errors."""
    from checker.syntax.parse import parse_file

    _, diags = parse_file(path)
    assert [d.format() for d in diags if d.severity == "error"] == []


def test_console_script_runs_the_example(agnostic: Path) -> None:
    """The installed `proofcheck` entry point checks the example in a separate process."""
    proc = subprocess.run([sys.executable, "-m", "checker", "check", str(agnostic)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ctrl_c_anywhere_exits_130_without_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C while the engines load (inside ``run``, before any command's own handling)."""
    import checker.cli as cli

    def interrupted(argv: object) -> tuple[str, int]:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    assert cli.main(["check", "x.proof"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "proofcheck: interrupted" and "Traceback" not in err
