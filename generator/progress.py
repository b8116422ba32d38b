"""Progress of long runs: a bar on a terminal, one plain line every N steps in a log.

A tqdm bar redraws itself many times a second; in a log file (stderr redirected, a batch job)
each redraw is kept, and a 14-minute training left thousands of them. So the bar is shown only
when stderr is a terminal; otherwise :class:`LineProgress` writes one line every ``every`` steps
(and at the end), with the same postfix fields.
"""
from __future__ import annotations

import sys
import time

#: Steps between two log lines when stderr is not a terminal.
LOG_EVERY = 50


class LineProgress:
    """The subset of tqdm's interface the generator uses, printing ``every`` steps."""

    def __init__(self, total: int | None, desc: str, initial: int = 0, every: int = LOG_EVERY,
                 unit: str = "step", file=None, enabled: bool = True) -> None:
        self.total, self.desc, self.n, self.every, self.unit = total, desc, initial, max(1, every), unit
        self.enabled = enabled
        self.file = file or sys.stderr
        self.postfix = ""
        self.t0, self.n0 = time.monotonic(), initial
        self._last = initial

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.n // self.every > self._last // self.every or (self.total and self.n >= self.total):
            self._line()

    def set_postfix(self, **fields) -> None:
        self.postfix = " ".join(f"{k}={v}" for k, v in fields.items())

    def write(self, text: str, file=None) -> None:
        print(text, file=file or self.file, flush=True)

    def _line(self) -> None:
        if self.n == self._last or not self.enabled:
            return
        self._last = self.n
        rate = (self.n - self.n0) / max(time.monotonic() - self.t0, 1e-9)
        of = f"/{self.total}" if self.total else ""
        print(f"{self.desc}: {self.unit} {self.n}{of} ({rate:.2f} {self.unit}/s) {self.postfix}".rstrip(),
              file=self.file, flush=True)

    def close(self) -> None:
        if self.n != self._last and self.n > self.n0:
            self._line()


def progress(total: int | None, desc: str, enabled: bool = True, initial: int = 0, unit: str = "step",
             every: int | None = None, file=None):
    """A tqdm bar when ``file`` (default stderr) is a terminal, else a :class:`LineProgress`;
    with ``enabled=False`` a silent one."""
    file = file or sys.stderr
    tty = bool(getattr(file, "isatty", lambda: False)())
    if enabled and tty:
        from tqdm import tqdm

        return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=file, dynamic_ncols=True)
    return LineProgress(total, desc, initial=initial, every=every or LOG_EVERY, unit=unit, file=file, enabled=enabled)
