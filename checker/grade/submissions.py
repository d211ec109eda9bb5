"""Finding the submissions: one folder per student, or one student's files (Gradescope).

Layouts (``docs/grading.md``), detected from what SUBMISSIONS holds, or chosen with
``--layout``:

- **folders**: ``SUBMISSIONS/<student>/**/*.proof``; the folder's name is the student id.
- **gradescope**: ``/autograder/submission/**/*.proof`` with Gradescope's own
  ``submission_metadata.json`` in the *parent* folder: one student, whose id (and so the
  variant seed) comes only from that file, never from a file the student uploaded.
- **single**: ``SUBMISSIONS/*.proof`` and no metadata in the parent: one student, named by
  the folder.

Detection refuses a mixed folder (student folders with loose ``.proof`` files or a metadata
file): that is a usage error naming what it found, never a silent merge of the class into one
student. Each ``.proof`` file is one submission (a *job*); other files are ignored. Hidden
files and folders (``.*``, ``__MACOSX``) and symbolic links are skipped. Names may be any
bytes: a job keeps the real path to open and a visible, storable name for everything else.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.grade.names import id_bytes, look_alike_key, short, storage_name, visible
from checker.syntax.parse import MAX_FILE_BYTES

METADATA = "submission_metadata.json"
LAYOUTS = ("auto", "folders", "gradescope", "single")
MAX_DEPTH = 32  # folders inside a student's folder
METADATA_BYTES = 1 << 20
_HEADER = re.compile(r"^\s*exercise\s+([A-Za-z0-9_.\-]+)\s*(#.*)?$")


class LayoutError(Exception):
    """The submissions folder cannot be read as a class without guessing (a usage error);
    ``code`` names the case (``mixed-layout``, ``name-collision``, ...)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Job:
    """One submission file to grade."""

    student: str  # the student id as shown (visible text); it also selects the variant
    name: str  # the student's storage name under RESULTS (injective, always storable)
    file: str  # the path relative to the student's folder, as the file system gives it
    path: str  # absolute path of the file
    folder: str  # absolute path of the student's folder (the grading process's cwd)
    fingerprint: str  # changes when anything that can change the result changes
    header: str | None = None  # the `exercise` line's id, read cheaply (for failed gradings)

    @property
    def shown(self) -> str:
        """The file's name as people read it (undecodable bytes and controls escaped)."""
        return visible(self.file)

    @property
    def record_name(self) -> str:
        return storage_name(self.file)

    @property
    def key(self) -> str:
        """Where its record lives under ``records/`` (without ``.json``)."""
        return f"{self.name}/{self.record_name}"


@dataclass(frozen=True)
class Student:
    id: str  # as shown, and the variant seed's input
    name: str  # the storage name: students/<name>/, records/<name>/


@dataclass
class Batch:
    layout: str  # "folders", "gradescope" or "single"
    root: Path
    students: list[Student]
    jobs: list[Job]
    source: str = ""  # where the ids come from, in words
    problems: list[str] = field(default_factory=list)  # warnings for the person grading

    def describe(self) -> str:
        what = {"folders": "one folder per student",
                "gradescope": "Gradescope (one student)",
                "single": "one student's files"}[self.layout]
        return (f"layout: {what}; {len(self.students)} student(s), {len(self.jobs)} "
                f"submission file(s); {self.source}")


def safe_name(student: str) -> str:
    """A student id as a file name: see :func:`checker.grade.names.storage_name`."""
    return storage_name(student)


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


def read_metadata(path: Path) -> dict[str, Any] | None:
    """Gradescope's ``submission_metadata.json`` at ``path`` (None: absent or unusable)."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as fh:
            data = fh.read(METADATA_BYTES + 1)
        doc = json.loads(data) if len(data) <= METADATA_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def student_from_metadata(doc: dict[str, Any] | None) -> str | None:
    """The first user's ``email``, else ``id``, else ``name`` (Gradescope's documented
    fields); None when there is none."""
    users = doc.get("users") if doc else None
    if isinstance(users, list) and users and isinstance(users[0], dict):
        user = users[0]
        for key in ("email", "id", "name"):
            value = user.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and \
                    str(value).strip():
                return str(value)
    return None


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


# what a submission file is called: a proof sketch, or a LaTeX homework (docs/latex.md)
SUBMISSION_SUFFIXES = (".proof", ".tex")


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as it:
        return sorted((e for e in it if not _hidden(e.name)), key=lambda e: id_bytes(e.name))


def _kind(entry: os.DirEntry[str]) -> str:
    """"dir", "proof" (a ``.proof`` file or a LaTeX homework, ``.tex``) or "" (links are
    never followed)."""
    try:
        if entry.is_symlink():
            return ""
        if entry.is_dir(follow_symlinks=False):
            return "dir"
        if entry.name.endswith(SUBMISSION_SUFFIXES) and entry.is_file(follow_symlinks=False):
            return "proof"
    except OSError:
        pass
    return ""


def _walk(folder: Path, who: str, problems: list[str]) -> list[str]:
    """The visible ``.proof`` files under ``folder``, relative, sorted by their bytes."""
    found: list[str] = []
    todo: list[tuple[str, int]] = [("", 0)]
    while todo:
        rel, depth = todo.pop()
        try:
            entries = _entries(folder / rel if rel else folder)
        except OSError as exc:
            problems.append(f"{who}: the folder {short(rel or '.')} cannot be read "
                            f"({exc.strerror or exc}); files in it are not graded")
            continue
        for e in entries:
            sub = f"{rel}/{e.name}" if rel else e.name
            kind = _kind(e)
            if kind == "proof":
                found.append(sub)
            elif kind == "dir":
                if depth < MAX_DEPTH:
                    todo.append((sub, depth + 1))
                else:
                    problems.append(f"{who}: {short(sub)} is nested more than {MAX_DEPTH} "
                                    "folders deep; files in it are not graded")
    return sorted(found, key=id_bytes)


def _names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(short(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def discover(root: Path, base: str, exclude: Path | None = None,
             layout: str = "auto") -> Batch:
    """The batch under ``root``; ``base`` is mixed into every job's fingerprint (the
    checker's version, the catalog and the settings). ``exclude``: a folder that is not a
    student's. Raises LayoutError when the layout cannot be told without guessing, or when
    two ids (or two files of one student) would share a storage name."""
    root = root.resolve()
    skip = exclude.resolve() if exclude is not None else None
    problems: list[str] = []
    try:
        entries = _entries(root)
    except OSError as exc:
        raise LayoutError(f"{visible(str(root))} cannot be read ({exc.strerror or exc})",
                          "unreadable-submissions") from exc
    loose = [e.name for e in entries if _kind(e) == "proof"]
    folders = [e for e in entries if _kind(e) == "dir" and Path(e.path) != skip]
    walk_problems: list[str] = []
    walked = {e.name: _walk(Path(e.path), short(e.name), walk_problems)
              for e in folders} if layout in ("auto", "folders") else {}
    with_proofs = [name for name, files in walked.items() if files]
    root_meta = (root / METADATA).is_file()
    parent_meta = root.parent / METADATA
    has_parent_meta = parent_meta.is_file()
    if layout == "auto":
        layout = _detect(root, loose, folders, with_proofs, root_meta, has_parent_meta)
    students: list[tuple[str, Path, list[str]]]
    if layout == "folders":
        if loose:
            problems.append(f"not graded: {len(loose)} .proof file(s) at the top of the "
                            f"submissions folder, outside every student's folder "
                            f"({_names(loose)})")
        problems += walk_problems
        students = [(e.name, Path(e.path), walked[e.name]) for e in folders]
        source = "each student id is the name of their folder"
    elif layout == "gradescope":
        doc = read_metadata(parent_meta)
        raw = student_from_metadata(doc)
        if raw is None:
            raise LayoutError(
                f"the Gradescope layout needs Gradescope's {METADATA} in the parent of the "
                f"submissions folder ({visible(str(parent_meta))}) with a user's email, id "
                "or name; " + ("it is missing" if not has_parent_meta else
                               "it has none (or it is not valid JSON)"), "gradescope-metadata")
        if root_meta:
            problems.append(f"ignored: the {METADATA} inside the submission (a file the "
                            "student uploaded); the id comes from Gradescope's own file")
        students = [(raw, root, _walk(root, short(raw), problems))]
        source = f"the id comes from {visible(str(parent_meta))}: {short(raw)}"
    else:
        if root_meta:
            problems.append(f"ignored: {METADATA} in the submissions folder (a student's "
                            "id is read only from Gradescope's file in the parent folder)")
        students = [(root.name, root, _walk(root, short(root.name), problems))]
        source = f"the id is the folder's name: {short(root.name)}"
    return _batch(root, layout, students, base, source, problems)


def _detect(root: Path, loose: list[str], folders: list[os.DirEntry[str]],
            with_proofs: list[str], root_meta: bool, parent_meta: bool) -> str:
    stray = []
    if loose:
        stray.append(f"{len(loose)} .proof file(s) at its top ({_names(loose)})")
    if root_meta:
        stray.append(f"a {METADATA} in it")
    if parent_meta:
        stray.append(f"a {METADATA} in its parent folder")
    if with_proofs and stray:
        raise LayoutError(
            f"{visible(str(root))} mixes two layouts: {len(with_proofs)} student folder(s) "
            f"with .proof files ({_names(with_proofs)}) and {' and '.join(stray)}. Move the "
            "stray files out, or say which layout it is with --layout folders (one folder "
            "per student), --layout gradescope or --layout single (one student's files)",
            "mixed-layout")
    if parent_meta:
        return "gradescope"
    if loose:
        return "single"
    if root_meta:
        if folders:
            raise LayoutError(
                f"{visible(str(root))} mixes two layouts: {len(folders)} folder(s) and a "
                f"{METADATA} in it; move the metadata file out or use --layout", "mixed-layout")
        return "single"
    return "folders"


def _batch(root: Path, layout: str, found: list[tuple[str, Path, list[str]]], base: str,
           source: str, problems: list[str]) -> Batch:
    students: list[Student] = []
    jobs: list[Job] = []
    owners: dict[str, str] = {}  # storage name -> raw id
    alike: dict[str, list[str]] = {}
    for raw, folder, files in found:
        student = Student(visible(raw, keep=""), storage_name(raw))
        other = owners.setdefault(student.name, raw)
        if other != raw:
            raise LayoutError(
                f"the student ids {visible(other, keep='')!r} and {visible(raw, keep='')!r} "
                f"would share the results folder {student.name!r}; rename one of the folders "
                "(refused rather than merge two students' grades)", "name-collision")
        alike.setdefault(look_alike_key(raw), []).append(raw)
        students.append(student)
        mine: dict[str, str] = {}
        for rel in files:
            job = _job(student, folder, rel, base)
            clash = mine.setdefault(job.record_name, rel)
            if clash != rel:
                raise LayoutError(
                    f"{student.id}: the files {visible(clash, keep='')!r} and "
                    f"{visible(rel, keep='')!r} would share one record; rename one of them",
                    "name-collision")
            jobs.append(job)
    for group in alike.values():
        if len(group) > 1:
            shown = " and ".join(ascii(g) for g in group)
            problems.append(f"look-alike student ids: {shown} read the same (Unicode "
                            "normalisation) but are different ids, graded as different "
                            "students; check that they are not one student twice")
    return Batch(layout, root, students, jobs, source, problems)


def _job(student: Student, folder: Path, rel: str, base: str) -> Job:
    path = folder / rel
    fp = hashlib.sha256(b"\n".join([base.encode(), id_bytes(student.id), student.name.encode(),
                                     id_bytes(rel), content_digest(path).encode()]))
    return Job(student.id, student.name, rel, str(path), str(folder), fp.hexdigest(),
               peek_header(path))
