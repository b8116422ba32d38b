"""What an input path names, said in one line: missing, a folder, a device or pipe, or empty.

``/dev/null`` exists, and ``/dev/zero`` has no size: neither is "no such file" nor "0 bytes of
video". One check for every reader (videos, landmark files, score tables) keeps the wording equal.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from msi.errors import BadWeights, InputNotFound, MSIError


def check_input_file(path: str | os.PathLike, error: type[MSIError] = MSIError) -> Path:
    """``path`` as a Path if it is a non-empty regular file; else ``error`` (InputNotFound when
    nothing is there) with the reason."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputNotFound(f"{p}: no such file") from None
    except OSError as exc:  # permission, a path through a file, name too long
        raise error(f"{p}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else \
            "a pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "special"
        raise error(f"{p}: not a regular file ({kind}); give a file")
    if st.st_size == 0:
        raise error(f"{p}: empty file (0 bytes)")
    return p


def check_weights_file(path: str | os.PathLike, expected: str) -> str:
    """``path`` as a string if it is a readable weights file (as :func:`check_input_file` judges
    it); else :class:`BadWeights` with the reason and the file ``expected`` there."""
    try:
        check_input_file(path, BadWeights)
    except MSIError as exc:  # InputNotFound too: a missing weights file is a bad weights option
        raise BadWeights(f"{exc} (expected {expected})") from None
    return str(path)
