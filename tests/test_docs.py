"""The documentation stays true: docs/diagnostics.md's examples and docs/language.md's lists.

docs/diagnostics.md has one section per diagnostic code (a heading "### `code`"). A section
holds ```wrong blocks (proof files that must give the code), each optionally followed by an
```output block (what proofcheck prints: its message lines must match exactly), and ```right
blocks (the corrected files, which must not give the code). A section marked
"<!-- described: ... -->" tells the situation in words instead (a file too large, not text,
...); SITUATIONS below builds such situations where it can and checks the section's output
lines against them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.check import check_file, check_text
from checker.diagnostics import CODES, Diagnostic
from checker.library.theorems import load
from checker.syntax.build import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
DIAGNOSTICS_MD = ROOT / "docs" / "diagnostics.md"
LANGUAGE_MD = ROOT / "docs" / "language.md"
BUDGET_S = 0.3  # the examples are about diagnostics; verdicts do not matter here

HEADING = re.compile(r"^### `([a-z0-9-]+)`[ \t]*$", re.M)
FENCE = re.compile(r"^[ \t]*```([\w-]*)[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.M | re.S)
DESCRIBED = "<!-- described:"
MESSAGE = re.compile(r"^\S.*: (error|warning): .*  \[[a-z0-9-]+\]$")


# ------------------------------------------------------------------------------ reading


def _sections() -> dict[str, str]:
    """Section body by code, in the order of the document."""
    text = DIAGNOSTICS_MD.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out[m.group(1)] = text[m.end():end]
    return out


def _examples(body: str) -> list[tuple[str, str, str | None]]:
    """(kind, text, output) for each ```wrong and ```right block; output follows a wrong."""
    out: list[tuple[str, str, str | None]] = []
    for m in FENCE.finditer(body):
        kind, text = m.group(1), m.group(2)
        if kind == "output" and out and out[-1][0] == "wrong" and out[-1][2] is None:
            out[-1] = (out[-1][0], out[-1][1], text)
        elif kind in ("wrong", "right"):
            out.append((kind, text, None))
    return out


def _outputs(body: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(body) if m.group(1) == "output"]


def _messages(text: str) -> list[str]:
    """The message lines of printed diagnostics (not the source lines and carets)."""
    return [line for line in text.splitlines() if MESSAGE.match(line)]


def _headlines(diags: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[str]:
    return [d.format().splitlines()[0] for d in diags]


def _printed(diags: tuple[Diagnostic, ...] | list[Diagnostic]) -> str:
    return "\n".join(d.format() for d in diags) or "(nothing)"


SECTIONS = _sections()
EXAMPLES = [
    pytest.param(code, kind, text, output, id=f"{code}-{kind}-{i}")
    for code, body in SECTIONS.items()
    for i, (kind, text, output) in enumerate(_examples(body))
]


# ------------------------------------------------------------------------------ sections


def test_every_code_has_a_section() -> None:
    """Every code in the registry has a section, and every section is a registered code."""
    assert [c for c in CODES if c not in SECTIONS] == []
    assert [c for c in SECTIONS if c not in CODES] == []


def test_sections_follow_the_registry_order() -> None:
    """The sections are in the registry's order."""
    assert [c for c in SECTIONS if c in CODES] == [c for c in CODES if c in SECTIONS]


def test_sections_state_the_severity() -> None:
    """Each section opens with the code's severity as the registry has it."""
    for code, body in SECTIONS.items():
        if code in CODES:
            assert f"**{CODES[code].severity}**" in body.split("```")[0], code


def test_sections_have_examples() -> None:
    """A section has a wrong and a right example, or says it describes the situation."""
    for code, body in SECTIONS.items():
        kinds = {kind for kind, _, _ in _examples(body)}
        if DESCRIBED not in body:
            assert {"wrong", "right"} <= kinds, code
        elif _outputs(body):
            assert code in SITUATIONS, f"{code}: shows messages, but no situation builds them"


@pytest.mark.parametrize(("code", "kind", "text", "output"), EXAMPLES)
def test_example(code: str, kind: str, text: str, output: str | None) -> None:
    """A wrong example gives its code (with the documented messages); a right one does not."""
    diags = check_text(text, "doc.proof", budget_s=BUDGET_S).diagnostics
    codes = [d.code for d in diags]
    if kind == "wrong":
        assert code in codes, f"expected [{code}], got:\n{_printed(diags)}"
        if output is not None:
            assert _messages(output) == _headlines(diags), (
                f"docs/diagnostics.md shows other messages; proofcheck prints:\n"
                f"{_printed(diags)}")
    else:
        assert code not in codes, f"the corrected example still gives:\n{_printed(diags)}"


# ------------------------------------------------------------------------------ situations


def _file_too_large(tmp: Path) -> list[Diagnostic]:
    (tmp / "big.proof").write_text(("# " + "x" * 98 + "\n") * 3000)
    return list(check_file("big.proof").diagnostics)


def _not_text(tmp: Path) -> list[Diagnostic]:
    (tmp / "notes.proof").write_bytes(b"exercise notes\x00\n")
    (tmp / "latin1.proof").write_bytes("exercise dé\n".encode("latin-1"))
    return [*check_file("notes.proof").diagnostics, *check_file("latin1.proof").diagnostics]


def _expression_too_large(tmp: Path) -> list[Diagnostic]:
    tower = "^".join(["x"] * 40)
    line = "  + " + " * ".join([tower] * 10)
    text = "exercise big\ngiven x real\nhave h: (1\n" + "\n".join([line] * 3) + ") >= 0\n"
    return list(check_text(text, "doc.proof", budget_s=BUDGET_S).diagnostics)


def _too_many_errors(tmp: Path) -> list[Diagnostic]:
    text = "exercise slips\n" + "have h: 2x = x + x\n" * 51
    return list(check_text(text, "doc.proof", budget_s=BUDGET_S).diagnostics)


def _theorem_file(tmp: Path) -> list[Diagnostic]:
    folder = tmp / "theorems" / "analysis"
    folder.mkdir(parents=True)
    (folder / "log.toml").write_text(
        '[[theorem]]\nid = "log_le_sub_one"\nname = "log x <= x - 1"\n'
        'doc = "The logarithm lies below its tangent at 1."\nvariables = ["x > 0"]\n'
        'source = "folklore"\nstatus = "cited"\n')
    return load(Path("theorems")).diagnostics


def _file_not_found(tmp: Path) -> list[Diagnostic]:
    return list(check_file("hw1.prof").diagnostics)


SITUATIONS: dict[str, Callable[[Path], list[Diagnostic]]] = {
    "file-too-large": _file_too_large,
    "not-text": _not_text,
    "expression-too-large": _expression_too_large,
    "too-many-errors": _too_many_errors,
    "theorem-file": _theorem_file,
    "file-not-found": _file_not_found,
}


@pytest.mark.parametrize("code", list(SITUATIONS))
def test_described_situation(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A situation told in words gives its code and the messages the section shows."""
    monkeypatch.chdir(tmp_path)
    diags = SITUATIONS[code](tmp_path)
    assert code in [d.code for d in diags], _printed(diags)
    shown = [m for out in _outputs(SECTIONS.get(code, "")) for m in _messages(out)]
    headlines = _headlines(diags)
    assert [m for m in shown if m not in headlines] == [], _printed(diags)


# ------------------------------------------------------------------------------ language.md


def test_every_function_is_in_the_language_reference() -> None:
    """Every function the parser knows is listed in docs/language.md as `name(...)`."""
    text = LANGUAGE_MD.read_text(encoding="utf-8")
    assert [f for f in FUNCTIONS if f"`{f}(" not in text] == []


QUOTED = re.compile(r"^`(exercises/[\w./-]+\.proof)`:\n\n```proof\n(.*?)^```", re.M | re.S)


def test_quoted_sketches_match_their_files() -> None:
    """Each sketch docs/language.md quotes from exercises/ is the file exactly as shipped."""
    quoted = QUOTED.findall(LANGUAGE_MD.read_text(encoding="utf-8"))
    assert len(quoted) >= 3
    for name, text in quoted:
        path = ROOT / name
        assert path.is_file(), f"docs/language.md quotes {name}, which is gone"
        assert text.strip() == path.read_text(encoding="utf-8").strip(), name


def _proof_blocks() -> list[object]:
    text = LANGUAGE_MD.read_text(encoding="utf-8")
    out: list[object] = []
    for i, m in enumerate(m for m in FENCE.finditer(text) if m.group(1) == "proof"):
        body = _dedent(m.group(2))
        out.append(pytest.param(body, id=f"proof-{i}"))
    return out


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(x[indent:] for x in lines) + "\n"


@pytest.mark.parametrize("text", _proof_blocks())
def test_language_examples_have_no_errors(text: str) -> None:
    """Every ```proof example in docs/language.md reads without errors or warnings."""
    diags = check_text(text, "doc.proof", budget_s=BUDGET_S).diagnostics
    assert list(diags) == [], _printed(diags)
