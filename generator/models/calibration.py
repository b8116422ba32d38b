"""Expression gain: undo audio2expression's shrinkage towards the mean, fitted on held-out frames.

A regressor trained with a squared error predicts E[e | audio]: its output's spread is its
correlation with the truth times the truth's spread, so the predicted mouth opens less than the
real one. The calibration scales the predicted expressions (in units of each PCA component's
std) about their mean c by one gain g,

    e'_t = c + g (e_t - c),

and picks g on the validation split so that the opening of the *smoothed* meshes has the spread of
the tracked ones over the reference frames R (``TrainConfig.a2e_gain_reference``: the validation
split itself, or every frame outside the test split, the speaker's motion, since 12 s of
validation speech can move less than the speaker does elsewhere):

    std_(t in val) open(Smooth(X(e'_t))) = std_(t in R) open(X(e^tracked_t)),

where open() is the inner-lip opening in median mouth widths, as msi measures it
(``msi.metrics.mouth_motion.mouth_opening`` of the mesh's 478 points). Smoothing responds to e' not quite
linearly, so g is found by a few secant steps on log std against log g (``next_gain``). One gain for all components keeps the
predicted expression's direction (the mouth's shape) and changes only how far it moves. Not in the
paper (Ling et al., arXiv:2208.13717, train audio-to-expression with an MSE and use it as is):
``TrainConfig.a2e_gain``.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

#: The gain is clamped to this range: outside it the validation split says more about a failed
#: model than about shrinkage.
GAIN_RANGE = (0.5, 2.0)


def fit_gain(opening_at: Callable[[float], np.ndarray], target: np.ndarray, iterations: int = 4) -> float:
    """The gain g at which ``opening_at(g)`` (a sequence of openings) has ``target``'s standard
    deviation, by :func:`next_gain` from g = 1."""
    want = float(np.nanstd(np.asarray(target, np.float64)))
    history: list[tuple[float, float]] = []
    g = 1.0
    for _ in range(iterations):
        got = float(np.nanstd(np.asarray(opening_at(g), np.float64)))
        if not (got > 0 and want > 0):
            return 1.0
        history.append((g, got / want))
        g = next_gain(history)
    return g


def next_gain(history: list[tuple[float, float]]) -> float:
    """The next gain to try from measured (gain, ratio) pairs, ratio = what was measured / its target.

    One pair: g / ratio. Two or more: the last two fit ratio = k g^alpha (a renderer that draws
    less than it is given has alpha < 1) and the gain where that gives 1, exp(-log k / alpha);
    the multiplicative step when alpha is too small to trust. Clamped to ``GAIN_RANGE``."""
    g, r = history[-1]
    nxt = g / r
    if len(history) >= 2:
        (g0, r0), (g1, r1) = history[-2], history[-1]
        if g0 != g1 and r0 > 0 and r1 > 0:
            alpha = (math.log(r1) - math.log(r0)) / (math.log(g1) - math.log(g0))
            if alpha > 0.2:
                nxt = g1 * math.exp(-math.log(r1) / alpha)
    return min(max(nxt, GAIN_RANGE[0]), GAIN_RANGE[1])


def apply_gain(expression: torch.Tensor, gain: float, centre: torch.Tensor) -> torch.Tensor:
    """e' = c + g (e - c) for normalised expressions (..., K) and a centre (K,)."""
    return centre + gain * (expression - centre)
