"""The theorem library: ``theorems/**/*.toml`` loaded, parsed and indexed.

A theorem's formulas are read by the same parser as students' proofs. Loading checks only
the form (every key present, every formula readable); the self-check (``selfcheck.py``)
checks the content.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.diagnostics import Diagnostic, ParseError, make
from checker.syntax.ast import Declaration, RelChain
from checker.syntax.parse import parse_assumptions, parse_claim

REQUIRED = ("id", "name", "doc", "variables", "conclusion", "source", "status")
STATUSES = ("cited", "derived")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def default_root() -> Path:
    """``$PROOFCHECK_THEOREMS``, else the ``theorems/`` folder next to the package."""
    env = os.environ.get("PROOFCHECK_THEOREMS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "theorems"


@dataclass(frozen=True)
class Theorem:
    id: str
    name: str
    doc: str
    variables: tuple[Declaration, ...]
    hypotheses: tuple[RelChain, ...]
    conclusion: RelChain
    source: str
    url: str
    tags: tuple[str, ...]
    status: str
    topic: str
    path: str
    proof: str | None = None
    equality: str | None = None
    model: dict[str, Any] | None = None
    texts: dict[str, Any] = field(default_factory=dict, compare=False)
    # the names the opaque terms are about (random variables, classes, functions, points):
    # matched or given by name when cited, like variables, but without a numeric domain
    objects: tuple[str, ...] = ()

    @property
    def var_names(self) -> list[str]:
        """The theorem's variables, in the order they are declared."""
        names: list[str] = []
        for d in self.variables:
            own = list(d.names)
            if d.relation is not None:
                own += [e.value.name for e in d.relation.exprs if e.value.is_Symbol]
            for n in own:
                if n not in names:
                    names.append(n)
        return names

    @property
    def statement(self) -> str:
        return str(self.texts.get("conclusion", ""))


@dataclass(frozen=True)
class TopicFile:
    path: str
    title: str
    summary: str
    main: tuple[str, ...]
    references: tuple[str, ...]
    theorems: tuple[Theorem, ...]


@dataclass
class Library:
    files: list[TopicFile] = field(default_factory=list)
    theorems: dict[str, Theorem] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def get(self, name: str) -> Theorem | None:
        return self.theorems.get(name)


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return 0


def load(root: Path | None = None) -> Library:
    """Load every theorem file under ``root``; problems become diagnostics, not exceptions."""
    root = root or default_root()
    lib = Library()
    if not root.is_dir():
        return lib
    for path in sorted(root.rglob("*.toml")):
        _load_file(path, root, lib)
    return lib


@functools.cache
def default_library() -> Library:
    return load()


def _load_file(path: Path, root: Path, lib: Library) -> None:
    name = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        lib.diagnostics.append(make("theorem-file", file=name, detail=f"not valid TOML: {exc}"))
        return
    topic = str(path.relative_to(root).with_suffix("")).replace(os.sep, "/")
    theorems: list[Theorem] = []
    for entry in doc.get("theorem", []):
        thm = _theorem(entry, topic, name, text, lib)
        if thm is None:
            continue
        if thm.id in lib.theorems:
            lib.diagnostics.append(make("theorem-file", file=name, line=_line_of(text, thm.id),
                                        detail=f"theorem {thm.id!r} is defined twice"))
            continue
        lib.theorems[thm.id] = thm
        theorems.append(thm)
    main = tuple(doc.get("main", ()))
    for m in main:
        if m not in {t.id for t in theorems}:
            lib.diagnostics.append(make("theorem-file", file=name, line=_line_of(text, m),
                                        detail=f"`main` lists {m!r}, which is not in this file"))
    lib.files.append(TopicFile(name, str(doc.get("title", topic)), str(doc.get("summary", "")),
                               main, tuple(doc.get("references", ())), tuple(theorems)))


def _theorem(entry: dict[str, Any], topic: str, name: str, text: str,
             lib: Library) -> Theorem | None:
    tid = str(entry.get("id", "?"))
    line = _line_of(text, f'"{tid}"')
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        lib.diagnostics.append(make("theorem-file", file=name, line=line,
                                    detail=f"theorem {tid!r} lacks {', '.join(missing)}"))
        return None
    if entry["status"] not in STATUSES:
        lib.diagnostics.append(make("theorem-file", file=name, line=line,
                                    detail=f"theorem {tid!r}: status must be cited or derived"))
        return None
    if entry["status"] == "derived" and not entry.get("proof"):
        lib.diagnostics.append(make("theorem-file", file=name, line=line,
                                    detail=f"derived theorem {tid!r} has no proof"))
        return None
    try:
        from checker.syntax.parse import shapes_of
        from checker.vectors.build import declared

        variables: list[Declaration] = []
        for v in entry["variables"]:  # vectors declared here are in force below
            with declared(shapes_of(variables)):
                variables += list(parse_assumptions(v))
        with declared(shapes_of(variables)):
            hypotheses = tuple(parse_claim(h) for h in entry.get("hypotheses", ()))
            conclusion = parse_claim(entry["conclusion"])
    except ParseError as exc:
        d = exc.diagnostics[0]
        lib.diagnostics.append(make("theorem-file", file=name, line=line,
                                    detail=f"theorem {tid!r}: {d.message} [{d.code}]"))
        return None
    objects = entry.get("objects", [])
    if not (isinstance(objects, list) and all(isinstance(o, str) and _NAME.fullmatch(o)
                                              for o in objects)):
        lib.diagnostics.append(make("theorem-file", file=name, line=line,
                                    detail=f"theorem {tid!r}: `objects` must be a list of names"))
        return None
    thm = Theorem(
        id=tid, name=str(entry["name"]), doc=str(entry["doc"]), variables=tuple(variables),
        hypotheses=hypotheses, conclusion=conclusion, source=str(entry["source"]),
        url=str(entry.get("url", "")), tags=tuple(entry.get("tags", ())),
        status=str(entry["status"]), topic=topic, path=name, proof=entry.get("proof"),
        equality=entry.get("equality"), model=entry.get("model"), texts=dict(entry),
        objects=tuple(dict.fromkeys(objects)))
    both = [o for o in thm.objects if o in thm.var_names]
    if both:
        lib.diagnostics.append(make("theorem-file", file=name, line=line,
                                    detail=f"theorem {tid!r}: {both[0]!r} is declared both as "
                                    "a variable and as an object"))
        return None
    return thm
