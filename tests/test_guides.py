"""The guides stay true: docs/instructor-guide.md and docs/student-guide.md.

* Every ```proof block whose first statement is `exercise ID` names a shipped exercise (or one
  the guide itself drafts) and parses without errors.
* The ```console blocks run in a scratch folder where `exercises` links to the shipped
  exercises. A line `$ proofcheck ARGS` runs `checker.cli.run(ARGS)`;
  the `[exit N]` line after its output is the exit code it must give; `$ cd DIR` changes the
  folder for the rest of the block. The lines of the shown output that carry a verdict
  (`FILE:LINE: VERDICT  TEXT`, compared up to the engine's reason in brackets), a
  counterexample, an exercise's summary and score, or a `validate` result must be printed as
  shown; other lines may be trimmed (`...`). A `claim`'s first word is its verdict.
* `<!-- file: PATH -->` before a fenced block writes the block to PATH (relative to the scratch
  folder) for the commands below it; `<!-- edit: PATH: OLD => NEW -->` replaces OLD by NEW in
  a file written above it (the guide shows the change in words or in a block). Commands share
  no other state: each runs in a fresh folder with the files the guide wrote above it.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.cli import run
from checker.exercises import load_catalog
from checker.syntax.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent
GUIDES = {"instructor": ROOT / "docs" / "instructor-guide.md",
          "student": ROOT / "docs" / "student-guide.md"}

FENCE = re.compile(r"^([ \t]*)```([\w-]*)[ \t]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
FILE_MARK = re.compile(r"<!-- file: (\S+) -->\s*\Z")
EDIT_MARK = re.compile(r"<!-- edit: (\S+): (.+?) => (.*?) -->")
EXIT = re.compile(r"^\[exit (\d+)\]$")
VERDICT = re.compile(r"^\S+:\d+: (proved|refuted|plausible|unknown)\b")
KEPT = (
    re.compile(r"^\s*counterexample: "),
    re.compile(r"^\S+: exercise \S+.*; score \S+$"),
    re.compile(r"^(ok  |FAIL) \S+ \("),
    re.compile(r"^\s+(problem|surviving mutant|note): "),
    re.compile(r"^\d+ of \d+ exercises valid"),
)


@dataclass(frozen=True)
class Command:
    guide: str
    line: int  # in the guide, for messages
    pos: int  # offset in the guide: files and edits before it are applied first
    cwd: str  # relative to the scratch folder
    args: tuple[str, ...]
    shown: str  # the output the guide shows
    exit_code: int


@dataclass(frozen=True)
class Action:
    pos: int
    path: str
    text: str | None = None  # write the whole file
    old: str = ""  # or replace old by new
    new: str = ""


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


@dataclass(frozen=True)
class Block:
    lang: str
    body: str  # without the indentation of the fence
    pos: int  # where the fence starts
    line: int  # the guide's line of the body's first line


def _blocks(text: str) -> list[Block]:
    out = []
    for m in FENCE.finditer(text):
        indent = m.group(1)
        body = "".join(x[len(indent):] if x.startswith(indent) else x.lstrip(" \t")
                       for x in m.group(3).splitlines(keepends=True))
        out.append(Block(m.group(2), body, m.start(), _line_of(text, m.start(3))))
    return out


def _commands(guide: str, text: str, problems: list[str] | None = None) -> list[Command]:
    """The `$ proofcheck` commands of the ```console blocks; malformed ones go to problems."""
    problems = [] if problems is None else problems
    out: list[Command] = []
    for b in _blocks(text):
        if b.lang != "console":
            continue
        cwd = "."
        body = b.body.splitlines()
        i = 0
        while i < len(body):
            line = body[i]
            i += 1
            if not line.startswith("$ "):
                continue
            words = shlex.split(line[2:])
            start = i
            while i < len(body) and not body[i].startswith("$ "):
                i += 1
            output = body[start:i]
            where = b.line + start - 1
            if words[0] == "cd":
                cwd = str(Path(cwd) / words[1])
                continue
            codes = [int(e.group(1)) for e in map(EXIT.match, output) if e]
            if words[0] != "proofcheck":
                problems.append(f"{guide} guide, line {where}: only proofcheck and cd run in "
                                "```console blocks (show other commands in a ```sh block)")
                continue
            if len(codes) != 1:
                problems.append(f"{guide} guide, line {where}: one [exit N] per command")
                continue
            shown = "\n".join(x for x in output if not EXIT.match(x))
            out.append(Command(guide, where, b.pos, cwd, tuple(words[1:]), shown, codes[0]))
    return out


def _actions(text: str) -> list[Action]:
    out: list[Action] = []
    for b in _blocks(text):
        mark = FILE_MARK.search(text[: b.pos])
        if mark:
            out.append(Action(b.pos, mark.group(1), text=b.body))
    for m in EDIT_MARK.finditer(text):
        out.append(Action(m.start(), m.group(1), old=m.group(2), new=m.group(3)))
    return sorted(out, key=lambda a: a.pos)


def _proof_blocks(text: str) -> list[tuple[int, str, str]]:
    """(line, exercise id, block) for each ```proof block that starts with `exercise ID`."""
    out = []
    for b in _blocks(text):
        if b.lang != "proof":
            continue
        lines = [x.split("#")[0].strip() for x in b.body.splitlines()]
        first = next((x for x in lines if x), "")
        if first.startswith("exercise "):
            out.append((b.line, first.split()[1], b.body))
    return out


def _drafted(text: str) -> set[str]:
    """Ids of the exercises a guide writes itself (an exercise.toml file block)."""
    return {m.group(1) for a in _actions(text) if a.text and a.path.endswith("exercise.toml")
            for m in [re.search(r'^id = "([^"]+)"', a.text, re.M)] if m}


TEXTS = {name: path.read_text(encoding="utf-8") for name, path in GUIDES.items()}
PROBLEMS: list[str] = []
COMMANDS = [c for name, text in TEXTS.items() for c in _commands(name, text, PROBLEMS)]
BLOCKS = [(name, *b) for name, text in TEXTS.items() for b in _proof_blocks(text)]


def _comparable(line: str) -> str | None:
    """The part of an output line the guide must show exactly, or None."""
    if VERDICT.match(line):
        line = line.split("  [")[0]
        return re.sub(r"\(\d+ samples", "(N samples", line)
    if any(k.match(line) for k in KEPT):
        return line.rstrip()
    return None


def _scratch(folder: Path, guide: str, pos: int) -> None:
    """The guide's scratch folder as it is at ``pos``: `exercises` linked, and the files the
    guide writes above it written and edited in order. (Commands leave nothing later commands
    need, so each command gets its own folder: the tests run in any order, on any worker.)"""
    (folder / "exercises").symlink_to(ROOT / "exercises", target_is_directory=True)
    for a in _actions(TEXTS[guide]):
        if a.pos >= pos:
            break
        path = folder / a.path
        if a.text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(a.text, encoding="utf-8")
        else:
            old = path.read_text(encoding="utf-8")
            assert a.old in old, f"edit of {a.path}: {a.old!r} is not in the file"
            path.write_text(old.replace(a.old, a.new, 1), encoding="utf-8")


def test_guides_have_examples() -> None:
    """Both guides show commands to run and sketches of shipped exercises."""
    for name in GUIDES:
        assert [c for c in COMMANDS if c.guide == name], name
        assert [b for b in BLOCKS if b[0] == name], name


def test_console_blocks_are_well_formed() -> None:
    """Console blocks hold only proofcheck and cd commands, each with one [exit N] line."""
    assert PROBLEMS == []


@pytest.mark.parametrize(("guide", "line", "exercise", "text"), BLOCKS,
                         ids=[f"{b[0]}-{b[1]}" for b in BLOCKS])
def test_proof_block_parses(guide: str, line: int, exercise: str, text: str) -> None:
    """A sketch in a guide names a shipped (or drafted) exercise and parses without errors."""
    known = set(load_catalog().exercises) | _drafted(TEXTS[guide])
    assert exercise in known, f"{guide} guide, line {line}: no exercise {exercise!r}"
    _, diags = parse_text(text, f"{guide}-guide:{line}")
    errors = [d.format() for d in diags if d.severity == "error"]
    assert errors == [], f"{guide} guide, line {line}:\n" + "\n".join(errors)


@pytest.mark.parametrize("cmd", COMMANDS,
                         ids=[f"{c.guide}-{c.line}-{'-'.join(c.args[:1])}" for c in COMMANDS])
def test_console_command(cmd: Command, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command a guide shows exits as stated and prints the verdicts it shows."""
    if cmd.args[0] == "new":
        assert "--dir" in cmd.args, "`new` in a guide must write into a --dir, not exercises/"
    _scratch(tmp_path, cmd.guide, cmd.pos)
    monkeypatch.chdir(tmp_path / cmd.cwd)
    out, code = run(list(cmd.args))
    where = f"{cmd.guide} guide, line {cmd.line}: proofcheck {shlex.join(cmd.args)}"
    assert code == cmd.exit_code, f"{where}: exit {code}, the guide says {cmd.exit_code}\n{out}"
    if "json" in cmd.args:
        json.loads(out)
        return
    if cmd.args[0] == "claim":
        assert out.split()[:1] == cmd.shown.split()[:1], f"{where}: prints\n{out}"
        return
    printed = {c for c in map(_comparable, out.splitlines()) if c is not None}
    missing = [c for c in map(_comparable, cmd.shown.splitlines())
               if c is not None and c not in printed]
    assert missing == [], f"{where}: the guide shows lines it does not print:\n" + "\n".join(
        missing) + f"\n--- it prints:\n{out}"
