"""Output paths checked before the work starts, and write failures after it, in one line each.

A typo in ``--out`` must not cost a batch of tracking: every file or folder a command will
write is checked up front (:func:`check_file`, :func:`check_folder`: its folder is created, as
the writers do anyway, then a temporary file is made and removed), a usage error (exit 2) when it
fails. A write that still fails later (disk full) is :func:`write_failed`: one line, exit 1,
saying where the finished work is.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from msi.errors import OutputError, UsageError

#: What `msi` commands that track say when their output could not be written.
CACHED_HINT = "the landmarks are in the cache: rerun with a writable {flag}, nothing finished is tracked again"
NO_CACHE_HINT = "rerun with a writable {flag} (without --no-cache the landmarks would be kept for that)"


def _reason(exc: OSError) -> str:
    return exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]


def _try_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".write-check-")
    os.close(fd)
    os.unlink(tmp)


def check_file(path: str | os.PathLike | None, flag: str) -> None:
    """UsageError unless ``path`` (if given) can be written: not a folder, its folder creatable
    and writable."""
    if not path:
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} {p}: is a folder, give a file name")
    if p.exists() and not p.is_file():
        raise UsageError(f"{flag} {p}: not a regular file (a device or pipe), give a file name")
    try:
        _try_folder(p.parent if str(p.parent) else Path("."))
    except OSError as exc:
        raise UsageError(f"{flag} {p}: cannot write there ({_reason(exc)})") from None


def check_folder(path: str | os.PathLike | None, flag: str) -> None:
    """UsageError unless the folder ``path`` (if given) can be created and written into."""
    if not path:
        return
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{flag} {p}: exists and is not a folder")
    try:
        _try_folder(p)
    except OSError as exc:
        raise UsageError(f"{flag} {p}: cannot write there ({_reason(exc)})") from None


def write_failed(path: str | os.PathLike, exc: BaseException, hint: str = "", when: str = "") -> OutputError:
    """The error for a result file that could not be written (``hint``: where the work is;
    ``when``: e.g. "after 3 of 10 inputs, the batch stopped")."""
    reason = _reason(exc) if isinstance(exc, OSError) else (str(exc).splitlines() or [type(exc).__name__])[0]
    return OutputError(f"cannot write {path} ({reason})" + (f" {when}" if when else "") + (f"; {hint}" if hint else ""))


def kept_line(done: int, total: int, unit: str, files: list[str | None], failed: BaseException | None = None,
              cache: bool | str = True) -> str:
    """What an interrupted batch kept, for its one line: "3 of 6 inputs finished; their rows are in
    scores.csv; their landmarks are in the cache: a rerun tracks only the rest". ``files``: the
    result files written with the finished rows (None for an option not given); ``failed``: the
    error of a write that failed; ``cache``: the command's landmark cache setting."""
    parts = [f"{done} of {total} {unit}s finished"]
    if done:
        written = [str(f) for f in files if f]
        if failed is not None:
            parts.append(str(failed))
        elif written:
            parts.append(f"their rows are in {' and '.join(written)}")
        if cache:
            where = "the cache" if cache is True else f"the cache at {cache}"
            parts.append(f"their landmarks are in {where}: a rerun tracks only the rest")
        else:
            parts.append("with --no-cache a rerun tracks them again")
    return "; ".join(parts)
