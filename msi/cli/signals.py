"""SIGTERM handled like Ctrl-C while a command runs; a second signal ends the process at once.

Batch schedulers (SLURM at its time limit, Kubernetes, ``docker stop``, systemd) stop a job with
SIGTERM, then SIGKILL after a grace period. While a command runs (:func:`stop_on_signals`, used by
:func:`msi.cli.lazy.run_group`), the first SIGTERM raises KeyboardInterrupt in the main thread, so
each command's Ctrl-C path (keep the finished rows, say so in one line, stop the workers) serves
it too; :func:`stopped_by` then tells which signal it was (exit 143 rather than 130). A second
SIGTERM or SIGINT while the command is stopping ends the process at once: what was already written
stays complete, since every result file is written to a temporary name and renamed.
"""
from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator

from msi.errors import EXIT_INTERRUPTED, EXIT_TERMINATED

_STOPPING = (signal.SIGINT, signal.SIGTERM)
_state: dict = {"signal": None, "pid": None, "prog": ""}


def _handler(signum: int, frame) -> None:
    if os.getpid() != _state["pid"]:  # a forked child inherited this: behave as Python's defaults
        if signum == signal.SIGINT:
            signal.default_int_handler(signum, frame)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _state["signal"] is not None:  # the user (or the scheduler) insists: no more cleanup
        with contextlib.suppress(OSError):
            os.write(2, f"{_state['prog']}: {signal.Signals(signum).name} again, stopped at once\n".encode())
        os._exit(128 + signum)
    _state["signal"] = signum
    raise KeyboardInterrupt


@contextlib.contextmanager
def stop_on_signals(prog: str) -> Iterator[None]:
    """While the block runs: SIGTERM is KeyboardInterrupt as Ctrl-C is, and a second SIGTERM or
    SIGINT exits at once with 128 + its number. The previous handlers come back afterwards.
    Outside the main thread (where Python cannot take signals) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.update(signal=None, pid=os.getpid(), prog=prog)
    previous = {s: signal.signal(s, _handler) for s in _STOPPING}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


def stopped_by() -> int | None:
    """The signal that stopped the last command run under :func:`stop_on_signals` (None: none
    arrived, e.g. the code raised KeyboardInterrupt itself)."""
    return _state["signal"]


def exit_code(signum: int | None) -> int:
    """143 for SIGTERM, 130 for Ctrl-C (and an interrupt no signal caused)."""
    return EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED


def headline(interrupted: str, signum: int | None) -> str:
    """What the one line starts with: ``interrupted`` as given for Ctrl-C, "stopped by SIGTERM"
    in its place for SIGTERM (a hint after it, e.g. "(rerun the same command to continue)", kept)."""
    if signum == signal.SIGTERM:
        return interrupted.replace("interrupted", "stopped by SIGTERM", 1) if "interrupted" in interrupted \
            else f"stopped by SIGTERM; {interrupted}"
    return interrupted



def quiet_teardown(exc: BaseException) -> None:
    """Free what the interrupt ``exc`` left behind (its traceback's frames, and the objects in them
    it stopped half-way through their construction) without "Exception ignored in __del__"
    reports: the one line already said what happened. Other unraisable errors are reported after."""
    seen: list[BaseException] = []
    while exc is not None and not any(exc is e for e in seen):
        seen.append(exc)
        exc.__traceback__ = None  # the frames go now, not at interpreter exit
        exc = exc.__cause__ or exc.__context__
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous
