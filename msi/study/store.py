"""Answers in SQLite as they arrive: the served study's database (``STUDY/server/answers.sqlite``).

Write-ahead logging (``journal_mode=WAL``) lets the raters' requests read while one writes, and
``synchronous=FULL`` makes every committed answer survive a killed server (and a power cut).
Each answer is one transaction: a presentation's rows are stored together or not at all. One
connection per thread (sqlite3 connections are not shared across threads).

Tables: ``meta`` (the owner key), ``raters`` (token, rater code, plan index), ``joined`` (the
raters who came from a crowd platform with their platform id, :meth:`AnswerStore.join`), ``plans``
(adaptive plans as made, :meth:`AnswerStore.plan`) and ``answers``
(the tidy rows of :mod:`msi.study.answers`, keyed by rater, presentation and question).
"""
from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from pathlib import Path

from msi.study.answers import COLUMNS
from msi.study.design import rater_name

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS raters (token TEXT PRIMARY KEY, rater TEXT UNIQUE NOT NULL, idx INTEGER UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS joined (external TEXT PRIMARY KEY, token TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS plans (idx INTEGER PRIMARY KEY, plan TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers ({', '.join(f'"{c}"' for c in COLUMNS)},
    PRIMARY KEY (rater, seq, question));
"""


class AnswerStore:
    """The answers database of one served study."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        with self._conn() as c:
            c.executescript(_SCHEMA)
            have = [row[1] for row in c.execute("PRAGMA table_info(answers)")]
        if have != list(COLUMNS):  # another program's database, or an older format: never written into
            raise sqlite3.DatabaseError(f"not a study's answers database (its answers table has columns {have[:4]}...)")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def owner_key(self) -> str:
        """The study owner's key (made on first use, kept in the database)."""
        c = self._conn()
        c.execute("INSERT OR IGNORE INTO meta VALUES ('owner_key', ?)", (secrets.token_urlsafe(24),))
        return c.execute("SELECT value FROM meta WHERE key = 'owner_key'").fetchone()[0]

    def ensure_raters(self, n: int) -> list[tuple[str, str]]:
        """At least ``n`` raters (each a random token); every (rater, token), in plan order."""
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            have = c.execute("SELECT COUNT(*) FROM raters").fetchone()[0]
            for i in range(have, n):
                c.execute("INSERT INTO raters VALUES (?, ?, ?)", (secrets.token_urlsafe(16), rater_name(i), i))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return [(r, t) for r, t in c.execute("SELECT rater, token FROM raters ORDER BY idx")]

    def join(self, external: str) -> str | None:
        """The token of the rater with platform id ``external`` (a crowd worker who arrives with
        their id in the URL): a new rater named ``external`` with the next plan index on first
        arrival, the same token when they come back. None when ``external`` is already the code
        of a rater who did not join this way (``r01``...): no one takes over a given link."""
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute("SELECT token FROM joined WHERE external = ?", (external,)).fetchone()
            if row is None:
                if c.execute("SELECT 1 FROM raters WHERE rater = ?", (external,)).fetchone():
                    c.execute("ROLLBACK")
                    return None
                token = secrets.token_urlsafe(16)
                idx = c.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM raters").fetchone()[0]
                c.execute("INSERT INTO raters VALUES (?, ?, ?)", (token, external, idx))
                c.execute("INSERT INTO joined VALUES (?, ?)", (external, token))
                row = (token,)
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return row[0]

    def progress(self) -> list[dict]:
        """Per rater: code, plan index, whether they joined from a platform, presentations answered."""
        cur = self._conn().execute(
            "SELECT r.rater, r.idx, j.external IS NOT NULL, COUNT(DISTINCT a.seq) FROM raters r "
            "LEFT JOIN joined j ON j.token = r.token LEFT JOIN answers a ON a.rater = r.rater "
            "GROUP BY r.rater ORDER BY r.idx")
        return [{"rater": r, "index": i, "joined": bool(j), "answered": int(n)} for r, i, j, n in cur]

    def plan(self, index: int, make) -> list[dict]:
        """Rater ``index``'s stored plan; the first time, ``make()``'s, stored (an adaptive plan
        depends on the answers when it was made: it must stay the same across restarts)."""
        c = self._conn()
        row = c.execute("SELECT plan FROM plans WHERE idx = ?", (index,)).fetchone()
        if row is None:
            c.execute("INSERT OR IGNORE INTO plans VALUES (?, ?)", (index, json.dumps(make())))
            row = c.execute("SELECT plan FROM plans WHERE idx = ?", (index,)).fetchone()  # another thread's, if first
        return json.loads(row[0])

    def ratings_per_item(self) -> dict[str, int]:
        """{item: raters who answered it in a ``main`` presentation}."""
        return {i: int(n) for i, n in self._conn().execute(
            "SELECT item, COUNT(DISTINCT rater) FROM answers WHERE kind = 'main' GROUP BY item")}

    def rater(self, token: str) -> tuple[str, int] | None:
        """(rater code, plan index) of a token, or None."""
        row = self._conn().execute("SELECT rater, idx FROM raters WHERE token = ?", (token,)).fetchone()
        return (row[0], row[1]) if row else None

    def answered(self, rater: str) -> dict[int, dict[str, object]]:
        """{seq: {question: grade or choice}} of one rater."""
        out: dict[int, dict[str, object]] = {}
        for seq, q, grade, choice in self._conn().execute(
                "SELECT seq, question, grade, choice FROM answers WHERE rater = ?", (rater,)):
            out.setdefault(int(seq), {})[q] = int(grade) if grade is not None else choice
        return out

    def add(self, rows: list[dict]) -> str:
        """Store one presentation's rows atomically: ``"stored"``, ``"same"`` (already stored with
        the same values: a retry) or ``"conflict"`` (already answered otherwise; nothing changed)."""
        c = self._conn()
        rater, seq = rows[0]["rater"], rows[0]["seq"]
        c.execute("BEGIN IMMEDIATE")
        try:
            old = {q: (g, ch) for q, g, ch in c.execute(
                "SELECT question, grade, choice FROM answers WHERE rater = ? AND seq = ?", (rater, seq))}
            if old:
                c.execute("ROLLBACK")
                new = {r["question"]: (r["grade"], r["choice"]) for r in rows}
                return "same" if old == new else "conflict"
            c.executemany(f"INSERT INTO answers VALUES ({', '.join('?' * len(COLUMNS))})",
                          [tuple(r[k] for k in COLUMNS) for r in rows])
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return "stored"

    def count(self) -> int:
        """How many answers (rows) are stored."""
        return self._conn().execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def rows(self) -> list[dict]:
        """Every stored answer, by rater and presentation."""
        cur = self._conn().execute(f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in COLUMNS)} FROM answers "
                                   "ORDER BY rater, seq, rowid")
        return [dict(zip(COLUMNS, r)) for r in cur]
