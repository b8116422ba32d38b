"""Simulated raters: answers with a known truth, to test and demonstrate the analysis. They are
not people, and nothing made with them is evidence about any method.

A rater answers from a *latent quality* per method and question (``truth[method][question]``,
on the 1-5 scale) plus a per-video offset (``video_offset``, the same for every rater):

* ``careful``: the latent grade plus Gaussian noise (sd ``noise``), rounded and clipped to 1-5;
  in a pair, the method of the higher latent grade (noise added to each side), "no preference"
  when the two are within half a grade;
* ``random``: grades and choices drawn uniformly;
* ``careless``: grades everything 4 or 5 and always picks the left video, without watching (so
  it fails the attention items).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from msi.study.answers import expand, frame
from msi.study.design import CHECK_METHOD, rater_name
from msi.study.manifest import session_plan

PROFILES = ("careful", "random", "careless")


def _latent(truth: Mapping, method: str, question: str, offset: float) -> float:
    if method == CHECK_METHOD:  # a clip shaken on purpose: plainly unstable, whatever the utterance
        return 1.0 if question == "motion_stability" else truth.get("real", {}).get(question, 3.0) + offset
    return float(truth[method][question]) + offset


def answer(manifest: Mapping, entry: Mapping, profile: str, rng: np.random.Generator, truth: Mapping,
           video_offset: Mapping[str, float] | None = None, noise: float = 0.6) -> dict:
    """The values one simulated rater gives to one presentation of their plan."""
    item = manifest["items"][entry["item"]]
    offsets = video_offset or {}
    out = {}
    for q in manifest["questions"]:
        if item["type"] == "acr":
            if profile == "random":
                out[q] = int(rng.integers(1, 6))
            elif profile == "careless":
                out[q] = int(rng.integers(4, 6))
            else:
                g = _latent(truth, item["method"], q, offsets.get(item["video"], 0.0)) + rng.normal(0, noise)
                out[q] = int(np.clip(np.rint(g), 1, 5))
        else:
            if profile == "random":
                out[q] = str(rng.choice(["a", "b", "none"]))
            elif profile == "careless":
                out[q] = "a"
            else:
                left, right = (item["b"], item["a"]) if entry["swap"] else (item["a"], item["b"])
                vl, vr = (item["video_b"], item["video_a"]) if entry["swap"] else (item["video_a"], item["video_b"])
                d = (_latent(truth, left, q, offsets.get(vl, 0.0)) - _latent(truth, right, q, offsets.get(vr, 0.0))
                     + rng.normal(0, noise * np.sqrt(2)))
                out[q] = "none" if abs(d) < 0.5 else ("a" if d > 0 else "b")
    return out


def simulate(manifest: Mapping, profiles: list[str], truth: Mapping, seed: int = 0, noise: float = 0.6,
             video_spread: float = 0.4):
    """Answers (the tidy table) of ``len(profiles)`` simulated raters, rater i taking session i
    and profile ``profiles[i]``; per-video offsets ~ N(0, ``video_spread``) shared by all raters."""
    rng = np.random.default_rng(seed)
    videos = sorted({it.get("video") for it in manifest["items"].values() if it.get("video")}
                    | {it[k] for it in manifest["items"].values() for k in ("video_a", "video_b") if k in it})
    offsets = dict(zip(videos, rng.normal(0, video_spread, len(videos))))
    rows = []
    for i, profile in enumerate(profiles):
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
        rater = manifest["sessions"][i]["rater"] if i < len(manifest["sessions"]) else rater_name(i)
        for entry in session_plan(manifest, i):
            values = answer(manifest, entry, profile, rng, truth, offsets, noise)
            seconds = float(rng.uniform(1.5, 3.0) if profile == "careless" else rng.uniform(4, 12))
            rows += expand(manifest, entry, values, rater, round(seconds, 2), "")
    return frame(rows)


def simulate_pair_answers(truth: Mapping[str, float], raters: int, repeats: int = 1, seed: int = 0,
                          pairs: list[tuple[str, str]] | None = None, model: str = "thurstone") -> pd.DataFrame:
    """Pair answers of simulated raters who choose from a known latent scale ``truth`` (method:
    score; JOD for ``thurstone``, log-odds for ``bradley-terry``): each rater answers every pair of
    ``pairs`` (default: every pair of methods) ``repeats`` times, sides at random, choosing left
    with the model's probability (no ties). The tidy table's pair rows (one question,
    ``motion_stability``)."""
    from msi.study.scaling import preference_probability

    rng = np.random.default_rng(seed)
    names = list(truth)
    pairs = pairs or [(a, b) for k, a in enumerate(names) for b in names[k + 1:]]
    P = preference_probability(np.array([truth[m] for m in names]), model)
    index = {m: i for i, m in enumerate(names)}
    rows = []
    for r in range(raters):
        for rep in range(repeats):
            for a, b in pairs:
                left, right = (a, b) if rng.random() < 0.5 else (b, a)
                choice = "a" if rng.random() < P[index[left], index[right]] else "b"
                rows.append({"study": "simulated", "rater": rater_name(r), "seq": len(rows), "type": "pair",
                             "kind": "main", "item": f"pair:{a}:{b}:u{rep}", "utterance": f"u{rep}",
                             "question": "motion_stability", "a": left, "b": right, "choice": choice})
    return frame(rows)
