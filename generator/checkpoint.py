"""Saving and loading training checkpoints (``RUN_DIR/checkpoint.pt``) without running code.

A checkpoint holds only tensors and plain values (dicts, lists, tuples, str, int, float, bool,
None): the model and optimizer state dicts, the step, and the configuration as the plain dict of
:func:`generator.config.to_dict`. It is loaded with ``torch.load(weights_only=True)``, whose
unpickler builds nothing else, so a checkpoint from someone else's run folder cannot execute
code (a full pickle can: ``os.system`` in ``__reduce__`` runs on load).

A file that needs the full unpickler (another program's format, or a tampered file) is refused
in one line. Inside :func:`trusting` (``stableface synthesize/train --trust-checkpoint``) it is
loaded the old way; ``train`` then rewrites it in the safe form at its next save.
"""
from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import torch

from generator.errors import GeneratorError

_TRUST: ContextVar[bool] = ContextVar("trust_checkpoint", default=False)
#: Plain values a checkpoint may hold besides tensors (what the weights-only unpickler rebuilds).
_PLAIN = (str, int, float, bool, type(None), torch.Size, torch.dtype, torch.device)


@contextlib.contextmanager
def trusting(trust: bool = True) -> Iterator[None]:
    """Within this block, checkpoints that need the full unpickler are loaded (they can run code)."""
    token = _TRUST.set(bool(trust))
    try:
        yield
    finally:
        _TRUST.reset(token)


def _check_plain(obj: object, where: str = "state") -> None:
    """Raise TypeError naming the first value a weights-only load could not rebuild."""
    if isinstance(obj, torch.Tensor) or isinstance(obj, _PLAIN):
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"{where} has a key of type {type(k).__name__}")
            _check_plain(v, f"{where}[{k!r}]")
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_plain(v, f"{where}[{i}]")
        return
    raise TypeError(f"{where} is a {type(obj).__module__}.{type(obj).__name__}, not a tensor or plain value")


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    """Write ``state`` (tensors and plain values only, checked first) to ``path``."""
    _check_plain(state)  # a programming error: fail at the save, not at the next load
    torch.save(state, path)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """The state dict in ``path``, loaded weights-only; :class:`GeneratorError` in one line when
    the file is damaged, or needs the full unpickler outside :func:`trusting`."""
    p = Path(path)
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # a global outside the weights-only allowlist
        if not _TRUST.get():
            detail = str(exc).split("WeightsUnpickler error: ")[-1].splitlines()[0][:160]
            raise GeneratorError(
                f"{p}: refused: this checkpoint holds Python objects, not only tensors and plain values "
                f"({detail}); loading it could run code. If you trust where it came from, rerun with "
                "trust_checkpoint=True (train then rewrites it in the safe format)") from None
        try:
            state = torch.load(p, map_location=map_location, weights_only=False)
        except Exception as exc2:  # noqa: BLE001 (any failure of a foreign pickle is one line)
            raise GeneratorError(f"{p}: cannot load the checkpoint ({type(exc2).__name__}: "
                                 f"{(str(exc2).splitlines() or [''])[0][:160]})") from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:  # truncated, not a torch file, unreadable
        raise GeneratorError(f"{p}: damaged or not a checkpoint ({type(exc).__name__}: "
                             f"{(str(exc).splitlines() or [''])[0][:160]})") from None
    if not (isinstance(state, dict) and isinstance(state.get("step"), int) and isinstance(state.get("model"), dict)
            and isinstance(state.get("config"), dict)):
        raise GeneratorError(f"{p}: not a stableface checkpoint (expected a dict with step, model and config)")
    return state
