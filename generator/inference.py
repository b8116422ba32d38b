"""A trained run at work: its checkpoint loaded as models (``load_run``), and audio2expression run
over speech of any length in half-overlapping windows of its training length (``predict_expressions``).

Used by synthesis (``generator.synthesize``) and by training's expression gain, which predicts
on the validation split as synthesis does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from generator.config import StableFaceConfig, from_dict
from generator.errors import GeneratorError
from generator.models.pipeline import Identity, StableFace, fit_sequence_embeddings


@dataclass
class Run:
    cfg: StableFaceConfig
    model: StableFace
    ident: Identity
    step: int
    feature_kind: str  # the training data's audio features: "logmel80" or a file name
    window: int  # the training data's audio frames per video frame
    # TrainConfig.a2e_gain: e' = centre + gain (e - centre) on normalised expressions (None: as predicted)
    calibration: dict | None = None


def load_run(run_dir: str | Path, device: str | torch.device = "cpu") -> Run:
    """The trained models of a run directory (its checkpoint.pt), in eval mode."""
    path = Path(run_dir) / "checkpoint.pt"
    if not path.is_file():
        raise GeneratorError(f"{run_dir}: no checkpoint.pt (train first with `stableface train`)")
    from generator.checkpoint import load_checkpoint  # weights-only: loading runs no code

    state = load_checkpoint(path)
    try:
        cfg = from_dict(state["config"])
        model = StableFace(cfg, int(state["size"]))
        state = fit_sequence_embeddings(state, model)
    except ValueError as exc:
        raise GeneratorError(f"{run_dir}: {exc}") from None
    model.load_state_dict(state["model"])
    model.to(device).eval()
    ident = Identity(**state["identity"]).to(device)
    cal = state.get("calibration")
    if cal is not None:
        cal = {"gain": float(cal["gain"]), "centre": torch.as_tensor(cal["centre"]).to(device)}
    return Run(cfg, model, ident, int(state["step"]), str(state.get("feature_kind", "logmel80")),
               int(state["window"]), cal)


def window_starts(n: int, length: int, overlap: bool) -> list[int]:
    """Start frames of the renderer's windows: back to back, or (with dependency modeling, whose
    attention spans a window) half-overlapping, each frame then taken from the window it is most
    central in, so window borders do not cut the temporal context."""
    if n <= length:
        return [0]
    stride = max(1, length // 2) if overlap else length
    starts = list(range(0, n - length + 1, stride))
    if starts[-1] + length < n:
        starts.append(n - length if overlap else starts[-1] + length)
    return starts


def blend_windows(n: int, length: int, fn) -> list:
    """Run ``fn(start, stop)`` on half-overlapping windows of ``length`` frames (the training sequence
    length, which is all the learned temporal embeddings have seen) and keep, for each frame, the
    output of the window it is most central in.  Returns a list of n per-frame outputs."""
    out: list = [None] * n
    best = np.full(n, np.inf)
    for i in window_starts(n, length, overlap=True):
        j = min(i + length, n)
        res = fn(i, j)
        for k in range(i, j):
            d = abs(k - (i + j - 1) / 2)
            if d < best[k]:
                best[k], out[k] = d, res[k - i]
    return out


@torch.no_grad()
def predict_normalised(a2e: torch.nn.Module, audio: torch.Tensor, length: int) -> torch.Tensor:
    """Audio windows (T, W, D) -> audio2expression's output (T, K), in units of each PCA component's
    std, over half-overlapping sequences of ``length`` frames (its training length)."""
    return torch.stack(blend_windows(len(audio), length, lambda i, j: a2e(audio[i:j][None])[0]))


@torch.no_grad()
def predict_expressions(run: Run, audio: np.ndarray) -> torch.Tensor:
    """Audio windows (T, W, D) -> expressions (T, K) in PCA units, with the run's expression gain
    (``TrainConfig.a2e_gain``) when it has one."""
    from generator.models.calibration import apply_gain

    x = torch.as_tensor(np.array(audio, np.float32), device=run.ident.shape.device)
    e = predict_normalised(run.model.a2e, x, run.cfg.train.a2e_frames)
    if run.calibration is not None:
        e = apply_gain(e, run.calibration["gain"], run.calibration["centre"])
    return e * run.ident.exp_std
