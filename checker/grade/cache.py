"""The verdict cache: one SQLite file shared by concurrent grading processes.

Keys are ``portfolio.cache_key`` texts (the obligation's canonical form with the checker's
version, mode and budget), stored by their SHA-256. WAL journal, ``synchronous=NORMAL``, a busy
timeout, and a retry on "database is locked" (seen on this machine even with the timeout).
The first verdict stored for a key wins (``INSERT OR IGNORE``), so every later reader, in
this run or the next, gets the same one. A failing cache never fails grading: ``init`` (run
once by the parent, with a test write) raises and the run goes on without a cache; later,
``get`` answers None, ``put`` drops the verdict and ``errors`` counts the failures.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from checker.obligations import Verdict

SCHEMA = ("CREATE TABLE IF NOT EXISTS verdicts "
          "(digest TEXT PRIMARY KEY, verdict TEXT NOT NULL) WITHOUT ROWID")
CLAIMS = ("CREATE TABLE IF NOT EXISTS claims "
          "(digest TEXT PRIMARY KEY, owner INTEGER NOT NULL, since REAL NOT NULL) WITHOUT ROWID")
RETRIES = 8


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class VerdictStore:
    """Verdicts by key in a SQLite file. Open one per process, after any fork."""

    def __init__(self, path: Path | str, busy_s: float = 10.0) -> None:
        self.path = Path(path)
        self.busy_s = busy_s
        self._db: sqlite3.Connection | None = None
        self.errors = 0  # operations that failed (and were answered as a miss or dropped)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=self.busy_s, isolation_level=None,
                                 check_same_thread=False)
            self._db = db
            self._retry(lambda: db.execute("PRAGMA journal_mode=WAL"))
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={int(self.busy_s * 1000)}")
            self._retry(lambda: db.execute(SCHEMA))
            self._retry(lambda: db.execute(CLAIMS))
        return self._db

    def _retry(self, op: Callable[[], sqlite3.Cursor]) -> sqlite3.Cursor:
        for attempt in range(RETRIES):
            try:
                return op()
            except sqlite3.OperationalError as exc:
                text = str(exc)
                if ("locked" not in text and "busy" not in text) or attempt == RETRIES - 1:
                    raise
                time.sleep(0.02 * 2 ** attempt)
        raise AssertionError("unreachable")

    def init(self) -> None:
        """Create the file and tables now (before workers start, so they do not race to),
        and make sure the file can be read and written: raises ``sqlite3.Error`` or
        ``OSError`` when it cannot (not a database, damaged, read-only, a folder, ...)."""
        db = self._conn()
        self._retry(lambda: db.execute("SELECT count(*) FROM verdicts WHERE digest = ''"))
        self._retry(lambda: db.execute(
            "INSERT OR REPLACE INTO claims (digest, owner, since) VALUES ('', 0, 0)"))
        self._retry(lambda: db.execute("DELETE FROM claims WHERE digest = ''"))

    def get_json(self, keys: Iterable[str]) -> str | None:
        """The stored verdict (JSON) of the first of ``keys`` that has one."""
        wanted = [digest(k) for k in keys]
        try:
            db = self._conn()
            marks = ",".join("?" * len(wanted))
            rows = self._retry(lambda: db.execute(
                f"SELECT digest, verdict FROM verdicts WHERE digest IN ({marks})",
                wanted)).fetchall()
        except (sqlite3.Error, OSError):
            self.errors += 1
            return None
        found = dict(rows)
        for d in wanted:
            if d in found:
                return str(found[d])
        return None

    def get(self, key: str) -> Verdict | None:
        text = self.get_json([key])
        return None if text is None else Verdict.from_json(json.loads(text))

    def put(self, key: str, verdict: Verdict) -> bool:
        """Store ``verdict`` unless the key already has one; True when it was new."""
        return self.put_json(digest(key), json.dumps(verdict.to_json(), sort_keys=True))

    def put_json(self, key_digest: str, text: str) -> bool:
        try:
            db = self._conn()
            cur = self._retry(lambda: db.execute(
                "INSERT OR IGNORE INTO verdicts (digest, verdict) VALUES (?, ?)",
                (key_digest, text)))
            return cur.rowcount == 1
        except (sqlite3.Error, OSError):
            self.errors += 1
            return False

    def put_many(self, rows: Iterable[tuple[str, str]]) -> int:
        """Merge (digest, verdict JSON) rows in one transaction; the count of new ones."""
        batch = list(rows)
        if not batch:
            return 0
        try:
            db = self._conn()
            before = db.total_changes

            def run() -> sqlite3.Cursor:
                db.execute("BEGIN IMMEDIATE")
                try:
                    cur = db.executemany(
                        "INSERT OR IGNORE INTO verdicts (digest, verdict) VALUES (?, ?)", batch)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                return cur

            self._retry(run)
            return db.total_changes - before
        except (sqlite3.Error, OSError):
            return 0

    # -- claims: while one process checks an obligation, the others wait for its verdict
    # instead of checking it too (no duplicated work, and one verdict per obligation even
    # when it depends on the time budget)
    def claim(self, key: str, owner: int) -> bool:
        """Take the obligation ``key`` (True), unless another process has it (False)."""
        try:
            db = self._conn()
            cur = self._retry(lambda: db.execute(
                "INSERT OR IGNORE INTO claims (digest, owner, since) VALUES (?, ?, ?)",
                (digest(key), owner, time.time())))
            return cur.rowcount == 1
        except (sqlite3.Error, OSError):
            return True  # no coordination: check it here

    def release(self, key: str) -> None:
        try:
            db = self._conn()
            self._retry(lambda: db.execute("DELETE FROM claims WHERE digest = ?",
                                           (digest(key),)))
        except (sqlite3.Error, OSError):
            pass

    def release_owner(self, owner: int) -> None:
        """Forget the claims of a process that died."""
        try:
            db = self._conn()
            self._retry(lambda: db.execute("DELETE FROM claims WHERE owner = ?", (owner,)))
        except (sqlite3.Error, OSError):
            pass

    def clear_claims(self) -> None:
        """Forget every claim (at the start of a batch: none can be alive)."""
        try:
            db = self._conn()
            self._retry(lambda: db.execute("DELETE FROM claims"))
        except (sqlite3.Error, OSError):
            pass

    def rows(self) -> Iterator[tuple[str, str]]:
        try:
            if not self.path.is_file():
                return
            found = self._conn().execute(
                "SELECT digest, verdict FROM verdicts ORDER BY digest").fetchall()
        except (sqlite3.Error, OSError):
            self.errors += 1
            return
        yield from ((str(d), str(v)) for d, v in found)

    def count(self) -> int:
        try:
            return int(self._conn().execute("SELECT count(*) FROM verdicts").fetchone()[0])
        except (sqlite3.Error, OSError):
            return 0

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
