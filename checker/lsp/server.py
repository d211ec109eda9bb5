"""``proofcheck lsp``: a language server over stdio (pygls).

* Diagnostics as you type: after a short pause (``debounce``), the document is checked in the
  checking process (``checker.lsp.worker``); a parse error is an Error at its place, a refuted
  step an Error with the counterexample in its message, an unknown step a Warning and a
  plausible one Information, each with the reason; feedback notes are Hints; the exercise's
  summary and score sit on the ``exercise`` line.
* Hover on a line: how it was read (fully parenthesized), each item's verdict, engine, reason,
  counterexample and conditions; on a cited theorem, its statement.
* Completion: theorem names after ``by`` (with their statements; an exercise's allowed
  theorems first), fact labels of the document, ``algebra``/``numeric``; exercise ids after
  ``exercise``; keywords at the start of a line.
* Go to definition: a cited theorem opens its entry under ``theorems/``; a cited fact label
  its ``have`` line; the ``exercise`` id its ``exercise.toml``.

Checks never run on the event loop. One check runs at a time; a newer edit of the document
being checked cancels that check at once (the verdicts it computed stay cached), and a
result is published only for the version it was computed on. Limits: those of the command
line for each obligation, an address-space cap on the checking process, and a wall-clock
limit per check; a check over a limit costs its document one Warning, and the process is
replaced.

Settings (``initializationOptions``, or the command line): ``exercises`` (a folder, relative
to the workspace root), ``budget`` (seconds per obligation), ``memoryMB``, ``timeout``
(seconds per check), ``debounce`` (seconds), ``seed`` (the variant of a randomized exercise).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from checker import __version__
from checker.lsp.render import Payload

if TYPE_CHECKING:
    from checker.exercises import Catalog
    from checker.library.theorems import Library

log = logging.getLogger("proofcheck.lsp")

HARD_CANCEL_S = 0.5  # a cancelled check not stopped by then is interrupted (see worker.py)
KEYWORDS = ("exercise", "given", "assume", "let", "have", "show", "qed")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BY = re.compile(r"\bby\b(?P<rest>[^#]*)$")
_HAVE = re.compile(r"^\s*have\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:")


@dataclass
class Settings:
    exercises: Path | None = None
    budget_s: float = 2.0
    memory_mb: int = 2048
    timeout_s: float = 120.0
    debounce_s: float = 0.2
    seed: int | None = None  # the variant of a randomized exercise

    def update(self, options: Any, root: str | None) -> list[str]:
        """Apply ``initializationOptions``; returns complaints about bad values."""
        bad: list[str] = []
        if not isinstance(options, dict):
            return bad if options is None else ["initializationOptions must be an object"]

        def number(key: str, low: float, high: float) -> float | None:
            v = options.get(key)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
                bad.append(f"{key} must be a number from {low:g} to {high:g}")
                return None
            return float(v)

        if (b := number("budget", 0.05, 600)) is not None:
            self.budget_s = b
        if (m := number("memoryMB", 256, 1 << 20)) is not None:
            self.memory_mb = int(m)
        if (t := number("timeout", 1, 3600)) is not None:
            self.timeout_s = t
        if (d := number("debounce", 0, 10)) is not None:
            self.debounce_s = d
        seed = options.get("seed")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
                bad.append("seed must be a nonnegative integer")
            else:
                self.seed = seed
        ex = options.get("exercises")
        if ex is not None:
            if not isinstance(ex, str) or not ex:
                bad.append("exercises must be a folder name")
            else:
                p = Path(ex).expanduser()
                if not p.is_absolute() and root:
                    p = Path(root) / p
                self.exercises = p
        return bad


class CheckerProcess:
    """The checking process, seen from the server (all methods but ``cancel`` block: call
    them from a thread)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None
        self.ready = False
        self.cancelled_at: float | None = None

    def start(self) -> None:
        mine, theirs = socket.socketpair()
        fd = theirs.fileno()
        self.proc = subprocess.Popen(
            # -P: the current folder (the user's project) must not shadow the package
            [sys.executable, "-P", "-m", "checker.lsp.worker", str(fd),
             str(self.settings.memory_mb)],
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno(),
            start_new_session=True)
        theirs.close()
        self.conn = Connection(mine.detach())
        self.ready = False

    def stop(self) -> None:
        proc, conn = self.proc, self.conn
        self.proc = self.conn = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)
            conn.close()
        if proc is not None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def cancel(self) -> None:
        """Stop the check in progress (its result is no longer wanted): before its next
        obligation, or at once if that has not come within ``HARD_CANCEL_S``."""
        self._signal("SIGUSR1")
        if self.cancelled_at is None:
            self.cancelled_at = time.monotonic()

    def _signal(self, name: str) -> None:
        sig = getattr(signal, name, None)
        if self.proc is not None and sig is not None and self.ready:
            with contextlib.suppress(OSError):
                self.proc.send_signal(sig)

    def _why_dead(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is not None and code < 0:
            sig = -code
            if sig == signal.SIGABRT:
                return (f"ran out of memory (limit {self.settings.memory_mb} MB; the process "
                        "aborted)")
            if sig == signal.SIGKILL:
                return "was killed (out of memory?)"
            return f"died ({signal.Signals(sig).name})"
        return f"stopped unexpectedly (exit code {code})"

    def run(self, job: int, text: str, path: str, options: dict[str, Any]) -> tuple[Any, ...]:
        """One check: ("done", job, payload), ("cancelled", job) or ("limit", job, why)."""
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            self.start()
        assert self.conn is not None
        self.cancelled_at = None
        try:
            self.conn.send(("check", job, text, path, options))
        except OSError:
            self.kill()
            return ("limit", job, "the checking process was lost")
        deadline = time.monotonic() + self.settings.timeout_s + 30.0 * (not self.ready)
        while True:
            if self.cancelled_at is not None and \
                    time.monotonic() - self.cancelled_at > HARD_CANCEL_S:
                self._signal("SIGUSR2")
                self.cancelled_at = float("inf")
            try:
                if self.conn.poll(0.05):
                    msg = self.conn.recv()
                    if msg[0] == "ready":
                        self.ready = True
                        deadline = time.monotonic() + self.settings.timeout_s
                        continue
                    if msg[1] != job:
                        continue
                    if msg[0] == "limit":
                        self.kill()
                    return tuple(msg)
            except (EOFError, OSError):
                why = self._why_dead()
                self.kill()
                return ("limit", job, why)
            if time.monotonic() > deadline:
                self.kill()
                return ("limit", job, f"took longer than {self.settings.timeout_s:g} s")


@dataclass
class Checked:
    version: int | None
    payload: Payload


@dataclass
class State:
    checked: dict[str, Checked] = field(default_factory=dict)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    wanted: dict[str, None] = field(default_factory=dict)  # an ordered set of uris
    running: str | None = None
    job: int = 0
    wake: asyncio.Event | None = None
    runner: asyncio.Task[None] | None = None
    timings: deque[float] = field(default_factory=lambda: deque(maxlen=1000))  # edit -> shown
    edited: dict[str, float] = field(default_factory=dict)


class ProofServer(LanguageServer):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__("proofcheck", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = settings or Settings()
        self.checker = CheckerProcess(self.settings)
        self.state = State()
        self._library: Library | None = None
        self._catalog: Catalog | None = None

    # -- what the checks need
    def library(self) -> Library:
        if self._library is None:
            from checker.library.theorems import default_library

            self._library = default_library()
        return self._library

    def catalog(self) -> Catalog:
        if self._catalog is None:
            from checker.exercises import load_catalog_cached

            self._catalog = load_catalog_cached(self.settings.exercises)
        return self._catalog

    def options(self) -> dict[str, Any]:
        s = self.settings
        return {"budget": s.budget_s, "seed": s.seed,
                "exercises": str(s.exercises) if s.exercises is not None else None}

    # -- scheduling
    def edited(self, uri: str) -> None:
        """A document was opened or changed: check it after a pause in typing."""
        st = self.state
        st.edited[uri] = time.monotonic()
        if st.running == uri:
            self.checker.cancel()  # its result would be stale
        old = st.timers.pop(uri, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        st.timers[uri] = loop.call_later(self.settings.debounce_s, self._want, uri)

    def _want(self, uri: str) -> None:
        st = self.state
        st.timers.pop(uri, None)
        st.wanted[uri] = None
        if st.wake is None:
            st.wake = asyncio.Event()
        if st.runner is None or st.runner.done():
            st.runner = asyncio.get_running_loop().create_task(self._run())
        st.wake.set()

    async def _run(self) -> None:
        st = self.state
        assert st.wake is not None
        while True:
            await st.wake.wait()
            st.wake.clear()
            while st.wanted:
                uri = next(iter(st.wanted))
                del st.wanted[uri]
                try:
                    await self._check(uri)
                except Exception:  # the server must outlive any one check
                    log.exception("checking %s failed", uri)
                finally:
                    st.running = None

    async def _check(self, uri: str) -> None:
        st = self.state
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return
        version, text = doc.version, doc.source
        path = to_fs_path(uri) or uri
        st.job += 1
        st.running = uri
        try:
            out = await asyncio.to_thread(self.checker.run, st.job, text, path, self.options())
        except Exception as exc:  # e.g. the checking process cannot be started
            log.exception("the checking process failed")
            out = ("limit", st.job, f"could not run ({type(exc).__name__}: {exc})"[:300])
        st.running = None
        now = self.workspace.text_documents.get(uri)
        if out[0] == "cancelled" or now is None or now.version != version:
            return  # a newer version is on its way
        if out[0] == "done":
            payload: Payload = out[2]
        else:
            lines = text.split("\n")
            payload = Payload(lines=lines, diagnostics=[{
                "line": 0, "start": 0, "end": len(lines[0]) if lines else 0, "severity": 2,
                "message": f"proofcheck stopped checking this document: the check {out[2]}; "
                           "edit it to try again", "code": "resource-limit"}],
                hovers={}, summary="", elapsed_s=0.0)
        st.checked[uri] = Checked(version, payload)
        self.publish(uri, version, payload)
        started = st.edited.pop(uri, None)
        if started is not None:
            st.timings.append(time.monotonic() - started)

    def publish(self, uri: str, version: int | None, payload: Payload) -> None:
        codec = self.workspace.position_codec
        lines = payload["lines"]
        diags = []
        for item in payload["diagnostics"]:
            rng = codec.range_to_client_units(lines, ServerTextRange(
                ServerTextPosition(item["line"], item["start"]),
                ServerTextPosition(item["line"], item["end"])))
            diags.append(types.Diagnostic(
                range=rng, message=item["message"], severity=types.DiagnosticSeverity(
                    item["severity"]), code=item["code"], source="proofcheck"))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diags, version=version))

    def closed(self, uri: str) -> None:
        st = self.state
        timer = st.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        st.wanted.pop(uri, None)
        st.checked.pop(uri, None)
        if st.running == uri:
            self.checker.cancel()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=[]))

    # -- hover, completion, definition
    def word_at(self, uri: str, pos: types.Position) -> tuple[str, int, int, str]:
        """The name under the cursor, its columns (code points) and its line's text."""
        doc = self.workspace.get_text_document(uri)
        lines = doc.lines
        if pos.line >= len(lines):
            return "", 0, 0, ""
        text = lines[pos.line].rstrip("\r\n")
        col = doc.position_codec.position_from_client_units(lines, pos).character
        for m in _WORD.finditer(text):
            if m.start() <= col <= m.end():
                return m.group(), m.start(), m.end(), text
        return "", col, col, text

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        uri, pos = params.text_document.uri, params.position
        word, start, _end, text = self.word_at(uri, pos)
        parts: list[str] = []
        thm = self.library().get(word) if word and _cites(text, start) else None
        if thm is not None:
            parts.append(theorem_markdown(thm))
        checked = self.state.checked.get(uri)
        if checked is not None:
            lines = checked.payload["lines"]
            same = pos.line < len(lines) and lines[pos.line].rstrip("\r") == text
            if same and pos.line in checked.payload["hovers"]:
                parts.append(checked.payload["hovers"][pos.line])
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))

    def complete(self, params: types.CompletionParams) -> types.CompletionList:
        uri, pos = params.text_document.uri, params.position
        doc = self.workspace.get_text_document(uri)
        lines = doc.lines
        text = lines[pos.line].rstrip("\r\n") if pos.line < len(lines) else ""
        col = doc.position_codec.position_from_client_units(lines, pos).character
        before = text[:col]
        items: list[types.CompletionItem] = []
        if _BY.search(before):
            allowed = self.allowed(doc.source)
            for i, label in enumerate(("algebra", "numeric")):
                items.append(types.CompletionItem(
                    label=label, kind=types.CompletionItemKind.Keyword, sort_text=f"0{i}",
                    detail="algebra: an identity or inequality the engines check directly"
                    if label == "algebra" else "numeric: checked by evaluation"))
            for n, line in enumerate(lines):
                m = _HAVE.match(line)
                if m and n < pos.line:
                    items.append(types.CompletionItem(
                        label=m.group("name"), kind=types.CompletionItemKind.Reference,
                        detail=line.split(":", 1)[1].split(" by ")[0].strip()[:120],
                        sort_text=f"1{m.group('name')}"))
            for thm in self.library().theorems.values():
                ok = allowed is None or thm.id in allowed
                if allowed is not None and not ok:
                    detail = f"{thm.statement}   (not allowed in this exercise)"
                else:
                    detail = thm.statement
                items.append(types.CompletionItem(
                    label=thm.id, kind=types.CompletionItemKind.Function, detail=detail,
                    documentation=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                      value=theorem_markdown(thm)),
                    sort_text=("2" if ok else "3") + thm.id))
        elif re.fullmatch(r"\s*exercise\s+\w*", before):
            for ex in self.catalog().exercises.values():
                items.append(types.CompletionItem(
                    label=ex.id, kind=types.CompletionItemKind.Module, detail=ex.title))
        elif re.fullmatch(r"\s*\w*", before):
            for kw in KEYWORDS:
                items.append(types.CompletionItem(label=kw,
                                                  kind=types.CompletionItemKind.Keyword))
        return types.CompletionList(is_incomplete=False, items=items)

    def allowed(self, source: str) -> set[str] | None:
        m = re.search(r"(?m)^\s*exercise\s+(\w+)", source)
        if m is None:
            return None
        ex = self.catalog().exercises.get(m.group(1))
        if ex is None or ex.allowed is None:
            return None
        return set(ex.allowed)

    def definition(self, params: types.DefinitionParams) -> types.Location | None:
        uri, pos = params.text_document.uri, params.position
        word, start, _end, text = self.word_at(uri, pos)
        if not word:
            return None
        if re.match(r"\s*exercise\s", text) and start > text.index("exercise"):
            ex = self.catalog().exercises.get(word)
            if ex is None:
                return None
            return _location(ex.folder / "exercise.toml", 0)
        if not _cites(text, start):
            return None
        doc = self.workspace.get_text_document(uri)
        for n, line in enumerate(doc.lines):
            m = _HAVE.match(line)
            if m and m.group("name") == word:
                return types.Location(uri=uri, range=types.Range(
                    start=types.Position(line=n, character=0),
                    end=types.Position(line=n, character=0)))
        thm = self.library().get(word)
        if thm is None:
            return None
        return _location(Path(thm.path), theorem_line(thm.path, thm.id))


def _cites(text: str, col: int) -> bool:
    """Is column ``col`` of this line inside its ``by ...`` justification?"""
    return _BY.search(text[:col]) is not None


def _location(path: Path, line: int) -> types.Location:
    pos = types.Position(line=line, character=0)
    return types.Location(uri=from_fs_path(str(path.resolve())) or str(path),
                          range=types.Range(start=pos, end=pos))


def theorem_line(path: str, tid: str) -> int:
    """The 0-based line of ``id = "tid"`` in a theorem file (0 if not found)."""
    pattern = re.compile(r'^\s*id\s*=\s*"' + re.escape(tid) + '"')
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                if pattern.match(line):
                    return n
    except OSError:
        return 0
    return 0


def theorem_markdown(thm: Any) -> str:
    texts = thm.texts
    hyps = texts.get("hypotheses", [])
    out = [f"**{thm.id}** ({thm.status}, {thm.topic}): {thm.name}",
           "```text\n" + "\n".join(
               [f"for {', '.join(map(str, texts.get('variables', [])))}"]
               + [f"if {h}" for h in hyps] + [f"then {thm.statement}"]) + "\n```",
           str(thm.doc)]
    if thm.source:
        out.append(f"source: {thm.source}")
    return "\n\n".join(out)


def make_server(settings: Settings | None = None) -> ProofServer:
    server = ProofServer(settings)

    @server.feature(types.INITIALIZE)
    def initialize(ls: ProofServer, params: types.InitializeParams) -> None:
        root = None
        if params.root_uri:
            root = to_fs_path(params.root_uri)
        elif params.root_path:
            root = params.root_path
        for complaint in ls.settings.update(params.initialization_options, root):
            ls.window_log_message(types.LogMessageParams(
                type=types.MessageType.Warning, message=f"proofcheck: {complaint}"))

    @server.feature(types.INITIALIZED)
    def initialized(ls: ProofServer, params: types.InitializedParams) -> None:
        try:
            ls.checker.start()  # the engines load while the user opens a file
        except OSError:
            log.exception("cannot start the checking process")  # retried at the first check
        loop = asyncio.get_running_loop()  # and the library and catalog, off the event loop
        loop.run_in_executor(None, ls.library)
        loop.run_in_executor(None, ls.catalog)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ProofServer, params: None) -> None:
        ls.checker.stop()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ProofServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.edited(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ProofServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.edited(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ProofServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in ls.state.checked:
            ls.edited(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ProofServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ProofServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[" ", ","]))
    def completion(ls: ProofServer, params: types.CompletionParams) -> types.CompletionList:
        return ls.complete(params)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: ProofServer, params: types.DefinitionParams) -> types.Location | None:
        return ls.definition(params)

    return server


def _end_now(server: ProofServer) -> Callable[[int, FrameType | None], None]:
    """A Ctrl-C handler that ends the server at once. pygls would stop its loop, then wait
    for its thread that reads stdin, which returns only when the editor closes stdin: a hang.
    Nothing is lost by not waiting: the checking process is killed, and an editor starts a
    new server. (It only exits: nothing to raise, so nothing that a gc callback or a
    finalizer could swallow.)"""
    def handler(signum: int, frame: FrameType | None) -> None:
        server.checker.kill()
        logging.shutdown()
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(128 + signum)

    return handler


def serve(settings: Settings) -> int:
    """Run the server on stdin/stdout until the editor ends it, or Ctrl-C (exit 130)."""
    level = logging.getLevelName(os.environ.get("PROOFCHECK_LSP_LOG", "WARNING").upper())
    logging.basicConfig(level=level if isinstance(level, int) else logging.WARNING,
                        stream=sys.stderr)
    server = make_server(settings)
    previous = None
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        previous = signal.signal(signal.SIGINT, _end_now(server))
    try:
        server.start_io()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        server.checker.stop()
    return 0
