r"""From espeak-ng phonemes to per-frame mouth parameters, with coarticulation.

Each phoneme has a viseme target (opening in [0, 1], width in [-1, 1]: spread > 0 > narrow,
rounding in [0, 1]) and a dominance (how strongly it imposes its target on its neighbours).
Coarticulation follows the dominance model of Cohen & Massaro ("Modeling coarticulation in
synthetic visual speech", Models and Techniques in Computer Animation, 1993): the parameter
track is the dominance-weighted mean of the targets,

.. math:: x(t) = \frac{\sum_i D_i(t)\, T_i}{\sum_i D_i(t)}, \qquad
          D_i(t) = \alpha_i \exp(-\theta_i\, d_i(t)),

where :math:`d_i(t)` is the distance of :math:`t` from phoneme :math:`i`'s interval (0 inside it).
Bilabials (p, b, m) have a large but fast-decaying (large theta_i) opening dominance so the lips
really close on them without flattening the neighbouring vowels; rounded
phonemes (w, u, o) a large rounding dominance. Diphthongs are split into their two halves. The
track is computed at 1 kHz and averaged over each frame's exposure (1 / fps), so short phonemes
are not missed between frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Viseme:
    opening: float
    width: float
    rounding: float
    dominance: float = 1.0  # alpha for width and rounding
    closure: float = 1.0  # alpha for the opening (large for bilabials)
    sharpness: float = 1.0  # multiplies theta: strong but brief constraints (lip closure) decay fast


REST = Viseme(0.0, 0.0, 0.0, 0.6, 0.6)
_V = Viseme
# espeak-ng's English phoneme mnemonics (phsource/ph_english); stress marks are not in events.
VISEMES: dict[str, Viseme] = {
    # pauses: mouth at rest (closed)
    "_": REST, "_:": REST, "_!": REST, "_^_": REST, "": REST,
    # bilabials: lips closed, dominant
    "p": _V(0.0, 0.0, 0.0, 0.8, 10.0, 2.5), "b": _V(0.0, 0.0, 0.0, 0.8, 10.0, 2.5),
    "m": _V(0.0, 0.0, 0.0, 0.8, 10.0, 2.5),
    # labiodentals: lower lip to upper teeth
    "f": _V(0.06, 0.1, 0.0, 1.0, 5.0, 2.0), "v": _V(0.06, 0.1, 0.0, 1.0, 5.0, 2.0),
    # dentals, alveolars: small opening, weak (take the neighbouring vowel's shape)
    "T": _V(0.22, 0.1, 0.0, 0.4, 0.8), "D": _V(0.22, 0.1, 0.0, 0.4, 0.8),
    "t": _V(0.15, 0.05, 0.0, 0.3, 0.6), "d": _V(0.15, 0.05, 0.0, 0.3, 0.6), "n": _V(0.15, 0.05, 0.0, 0.3, 0.6),
    "t#": _V(0.15, 0.05, 0.0, 0.3, 0.6), "d#": _V(0.15, 0.05, 0.0, 0.3, 0.6),
    "l": _V(0.25, 0.05, 0.0, 0.3, 0.5), "s": _V(0.1, 0.2, 0.0, 0.6, 1.2), "z": _V(0.1, 0.2, 0.0, 0.6, 1.2),
    # postalveolars: protruded, slightly rounded
    "S": _V(0.15, -0.3, 0.6, 1.2, 1.0), "Z": _V(0.15, -0.3, 0.6, 1.2, 1.0),
    "tS": _V(0.15, -0.3, 0.6, 1.2, 1.0), "dZ": _V(0.15, -0.3, 0.6, 1.2, 1.0),
    "r": _V(0.2, -0.2, 0.5, 0.8, 0.6), "r-": _V(0.2, -0.2, 0.5, 0.8, 0.6),
    # approximants (';' is espeak's linking palatal glide between vowels, as in "me a")
    "w": _V(0.08, -0.6, 1.0, 3.0, 2.0), "j": _V(0.15, 0.3, 0.0, 0.6, 0.6), ";": _V(0.15, 0.3, 0.0, 0.6, 0.6),
    # velars, glottals: weak, tongue-back sounds
    "k": _V(0.3, 0.0, 0.0, 0.2, 0.3), "g": _V(0.3, 0.0, 0.0, 0.2, 0.3), "N": _V(0.25, 0.0, 0.0, 0.2, 0.3),
    "h": _V(0.35, 0.0, 0.0, 0.2, 0.3), "x": _V(0.3, 0.0, 0.0, 0.2, 0.3), "?": _V(0.2, 0.0, 0.0, 0.2, 0.3),
    # vowels
    "a": _V(0.95, 0.2, 0.0), "a#": _V(0.7, 0.1, 0.0), "A:": _V(1.0, 0.1, 0.0), "A@": _V(0.9, 0.1, 0.0),
    "aa": _V(1.0, 0.2, 0.0), "@": _V(0.4, 0.0, 0.0, 0.6, 0.6), "@2": _V(0.4, 0.0, 0.0, 0.6, 0.6),
    "@L": _V(0.35, 0.0, 0.0), "3": _V(0.45, 0.0, 0.15),
    "3:": _V(0.5, -0.1, 0.3), "E": _V(0.65, 0.4, 0.0), "e": _V(0.6, 0.4, 0.0), "e@": _V(0.65, 0.3, 0.0),
    "i": _V(0.3, 0.6, 0.0), "i:": _V(0.3, 0.7, 0.0), "I": _V(0.35, 0.5, 0.0), "I#": _V(0.35, 0.4, 0.0),
    "I2": _V(0.35, 0.4, 0.0), "i@": _V(0.4, 0.4, 0.0), "0": _V(0.75, -0.3, 0.6),
    "O:": _V(0.7, -0.4, 0.8), "O": _V(0.65, -0.3, 0.6), "O2": _V(0.65, -0.3, 0.6),
    "O@": _V(0.7, -0.4, 0.7), "o@": _V(0.65, -0.4, 0.8), "V": _V(0.65, 0.1, 0.0), "u:": _V(0.25, -0.7, 1.0, 2.0, 1.0),
    "U": _V(0.3, -0.5, 0.8, 1.5, 1.0), "U@": _V(0.35, -0.5, 0.8), "u@": _V(0.35, -0.5, 0.8), "o": _V(0.55, -0.5, 0.9),
}
# Diphthongs: first half, second half.
DIPHTHONGS: dict[str, tuple[str, str]] = {
    "aI": ("a", "I"), "aI@": ("a", "@"), "aU": ("a", "U"), "eI": ("E", "I"), "oU": ("0", "U"),
    "@U": ("@", "U"), "OI": ("O:", "I"), "aI3": ("a", "3"), "aU@": ("a", "@"), "i@3": ("i", "3"),
}
FALLBACK = _V(0.3, 0.0, 0.0, 0.3, 0.3)  # unknown symbol: a weak, half-open shape
PARAMS = ("opening", "width", "rounding")


def viseme_of(phoneme: str) -> Viseme:
    """Viseme of one espeak-ng mnemonic (unknown symbols: a weak neutral shape)."""
    if phoneme in VISEMES:
        return VISEMES[phoneme]
    base = phoneme.rstrip("#;:2")  # variants such as 'I2', 'a#' fall back to their base vowel
    if base in VISEMES:
        return VISEMES[base]
    if phoneme.startswith("_"):
        return REST
    return FALLBACK


def expand_diphthongs(phonemes: list[str], starts: np.ndarray, ends: np.ndarray):
    """Splits diphthongs into two segments of equal length; returns (names, starts, ends)."""
    names, s_out, e_out = [], [], []
    for p, s, e in zip(phonemes, starts, ends):
        if p in DIPHTHONGS:
            m = 0.5 * (s + e)
            a, b = DIPHTHONGS[p]
            names += [a, b]
            s_out += [s, m]
            e_out += [m, e]
        else:
            names.append(p)
            s_out.append(s)
            e_out.append(e)
    return names, np.asarray(s_out, float), np.asarray(e_out, float)


@dataclass(frozen=True)
class CoarticulationConfig:
    theta: float = 28.0  # dominance decay rate, 1/s (e^-1 at ~36 ms outside the phoneme)
    rate: float = 1000.0  # internal sampling rate of the tracks, Hz


def mouth_tracks(phonemes: list[str], starts: np.ndarray, ends: np.ndarray, n_frames: int, fps: float = 25.0,
                 config: CoarticulationConfig = CoarticulationConfig()) -> np.ndarray:
    """Per-frame (opening, width, rounding), shape (n_frames, 3), from timed phonemes (seconds).

    Frame ``k`` shows time ``k / fps``; its value is the mean of the 1 kHz track over
    ``[k - 1/2, k + 1/2) / fps``. Time with no phoneme counts as rest (closed mouth).
    """
    names, s, e = expand_diphthongs(list(phonemes), np.asarray(starts, float), np.asarray(ends, float))
    # Rest before the first and after the last phoneme.
    total = n_frames / fps + 1.0
    names = ["_"] + names + ["_"]
    s = np.concatenate([[-1.0], s, [e[-1] if len(e) else 0.0]])
    e = np.concatenate([[s[1] if len(s) > 2 else 0.0], e, [total]])
    vis = [viseme_of(p) for p in names]
    targets = np.array([[v.opening, v.width, v.rounding] for v in vis])  # (P, 3)
    alpha = np.array([[v.closure, v.dominance, v.dominance] for v in vis])  # (P, 3)
    theta = config.theta * np.array([v.sharpness for v in vis])  # (P,)
    step = 1.0 / config.rate
    t = np.arange(-0.5 / fps, (n_frames - 0.5) / fps, step)  # (S,)
    track = np.empty((len(t), 3))
    reach = 12.0 / theta.min()  # beyond this a phoneme's dominance is < e^-12: ignored
    for a in range(0, len(t), 2000):  # blocks of 2 s keep the (S, P, 3) arrays small
        tb = t[a : a + 2000]
        near = (s < tb[-1] + reach) & (e > tb[0] - reach)
        d = np.maximum(np.maximum(s[near][None, :] - tb[:, None], tb[:, None] - e[near][None, :]), 0.0)
        dom = alpha[near][None] * np.exp(-theta[near][None] * d)[..., None]  # (S, P, 3)
        track[a : a + 2000] = (dom * targets[near][None]).sum(1) / dom.sum(1)
    frame = np.minimum(((t + 0.5 / fps) * fps).astype(int), n_frames - 1)
    out = np.zeros((n_frames, 3))
    np.add.at(out, frame, track)
    out /= np.bincount(frame, minlength=n_frames)[:, None]
    return out
