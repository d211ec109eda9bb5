"""Finding the submissions: one folder per student, or one student's files (Gradescope).

Layouts (``docs/grading.md``):

- **folders**: ``SUBMISSIONS/<student>/**/*.proof``; the folder's name is the student id.
- **single**: ``SUBMISSIONS/*.proof`` directly, one student: Gradescope's
  ``/autograder/submission`` (the id is the first user's email in the
  ``submission_metadata.json`` next to or inside it) or any folder (its own name is the id).

Each ``.proof`` file is one submission (a *job*); other files are ignored. Hidden files and
folders (``.*``, ``__MACOSX``) and symbolic links are skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.syntax.parse import MAX_FILE_BYTES

METADATA = "submission_metadata.json"
_HEADER = re.compile(r"^\s*exercise\s+([A-Za-z0-9_.\-]+)\s*(#.*)?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+\-]")


@dataclass(frozen=True)
class Job:
    """One submission file to grade."""

    student: str  # the student id (it also selects the exercise variant)
    file: str  # the path the student sees, relative to their folder: "p1.proof"
    path: str  # absolute path of the file
    folder: str  # absolute path of the student's folder (the grading process's cwd)
    fingerprint: str  # changes when anything that can change the result changes
    header: str | None = None  # the `exercise` line's id, read cheaply (for failed gradings)

    @property
    def key(self) -> str:
        """Where its record lives under ``records/``."""
        return f"{safe_name(self.student)}/{self.file}"


@dataclass
class Batch:
    layout: str  # "folders" or "single"
    root: Path
    students: list[str]
    jobs: list[Job]
    metadata: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def safe_name(student: str) -> str:
    """A student id as a file name (ids come from folder names or e-mail addresses); an id
    that had to be changed gets a hash of the original, so two ids never share a name."""
    name = _UNSAFE.sub("_", student)
    if name == student and not name.startswith(".") and name:
        return name
    return f"{name.lstrip('.') or '_'}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"


def _visible(p: Path, root: Path) -> bool:
    """Not hidden, and no symbolic link on the way (a link could point anywhere, and the
    grader reads what it points to)."""
    rel = p.relative_to(root)
    if any(part.startswith(".") or part == "__MACOSX" for part in rel.parts):
        return False
    q = root
    for part in rel.parts:
        q = q / part
        if q.is_symlink():
            return False
    return True


def _proofs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.proof") if p.is_file() and _visible(p, folder))


def peek_header(path: Path) -> str | None:
    """The id on the file's `exercise` line, if one of its first lines has it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    for line in head.decode("utf-8", errors="replace").splitlines()[:20]:
        m = _HEADER.match(line)
        if m:
            return m.group(1)
    return None


def content_digest(path: Path) -> str:
    """Size plus the first MAX_FILE_BYTES + 1 bytes: all the checker ever reads."""
    h = hashlib.sha256()
    try:
        h.update(str(path.stat().st_size).encode() + b"\n")
        with path.open("rb") as fh:
            h.update(fh.read(MAX_FILE_BYTES + 1))
    except OSError as exc:
        h.update(f"unreadable: {exc.strerror}".encode())
    return h.hexdigest()


def read_metadata(root: Path) -> dict[str, Any] | None:
    for candidate in (root / METADATA, root.parent / METADATA):
        if candidate.is_file():
            try:
                doc = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            return doc if isinstance(doc, dict) else None
    return None


def student_from_metadata(doc: dict[str, Any] | None) -> str | None:
    users = doc.get("users") if doc else None
    if isinstance(users, list) and users and isinstance(users[0], dict):
        user = users[0]
        for key in ("email", "id", "name"):
            value = user.get(key)
            if value not in (None, ""):
                return str(value)
    return None


def discover(root: Path, base: str, exclude: Path | None = None) -> Batch:
    """The batch under ``root``; ``base`` is mixed into every job's fingerprint (the
    checker's version, the catalog and the settings). ``exclude``: a folder that is not a
    student's (the results folder, if it is inside ``root``)."""
    root = root.resolve()
    skip = exclude.resolve() if exclude is not None else None
    metadata = read_metadata(root)
    direct = [p for p in root.glob("*.proof") if p.is_file()]
    if direct or metadata is not None:
        student = student_from_metadata(metadata) or root.name
        return Batch("single", root, [student],
                     [_job(student, root, p, base) for p in _proofs(root)], metadata)
    students: list[str] = []
    jobs: list[Job] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                         and _visible(p, root) and p != skip):
        students.append(folder.name)
        jobs += [_job(folder.name, folder, p, base) for p in _proofs(folder)]
    return Batch("folders", root, students, jobs, None)


def _job(student: str, folder: Path, path: Path, base: str) -> Job:
    rel = path.relative_to(folder).as_posix()
    fp = hashlib.sha256(f"{base}\n{student}\n{rel}\n{content_digest(path)}".encode())
    return Job(student, rel, str(path), str(folder), fp.hexdigest(), peek_header(path))
