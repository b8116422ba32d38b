"""A resumable store of benchmark runs: one JSON file per finished (variant, seed).

A run is written atomically (temporary file, then rename) only once it has finished, so a
killed bench loses at most the run in progress; a rerun with the same folder skips every run
whose file exists. The folder can be committed and continued on another machine or day. Several
bench processes may work in one folder at once (one per core): each claims a run with a lock
file before starting it.
"""
from __future__ import annotations

import json
import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class RunStore:
    root: Path
    _durations: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        (self.root / "results").mkdir(parents=True, exist_ok=True)

    def path(self, variant: str, seed: int) -> Path:
        return self.root / "results" / f"{slug(variant)}__seed{seed}.json"

    def done(self, variant: str, seed: int) -> bool:
        return self.load(variant, seed) is not None

    def load(self, variant: str, seed: int) -> dict | None:
        p = self.path(variant, seed)
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError):
            return None  # missing, or damaged by a crash outside our atomic write: redo it

    def save(self, variant: str, seed: int, row: dict) -> None:
        p = self.path(variant, seed)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({"variant": variant, "seed": seed, **row}, f, indent=1, default=float)
        os.replace(tmp, p)
        if "elapsed_s" in row:
            self._durations.append(float(row["elapsed_s"]))

    def claim(self, variant: str, seed: int) -> bool:
        """Take a run for this process (several bench processes may share one folder, one run each).
        A claim left by a process that no longer exists is taken over."""
        lock = self.path(variant, seed).with_suffix(".lock")
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if _alive(lock):
                    return False
                lock.unlink(missing_ok=True)  # its process died: the run is free again
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()} {socket.gethostname()}\n")
            return True
        return False

    def release(self, variant: str, seed: int) -> None:
        self.path(variant, seed).with_suffix(".lock").unlink(missing_ok=True)

    def frame(self) -> pd.DataFrame:
        """Every finished run, one row each."""
        rows = []
        for p in sorted((self.root / "results").glob("*.json")):
            try:
                rows.append(json.loads(p.read_text()))
            except ValueError:
                continue
        return pd.DataFrame(rows)

    def eta(self, left: int) -> float | None:
        """Seconds left, from the mean duration of the runs finished so far (stored ones too)."""
        durations = list(self._durations)
        if not durations:
            df = self.frame()
            if "elapsed_s" in df:
                durations = [float(x) for x in df["elapsed_s"].dropna()]
        if not durations:
            return None
        return left * sum(durations) / len(durations)


def _alive(lock: Path) -> bool:
    """Is the process that wrote this claim still running? (Another host's claim counts as alive.)"""
    try:
        pid, host = lock.read_text().split()
    except (OSError, ValueError):
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def slug(variant: str) -> str:
    """A file-name-safe form of a variant's name ("w/o fusion" -> "wo-fusion")."""
    return variant.replace("/", "").replace(" ", "-")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"

