"""How a column of ``msi compare`` is declared, and the per-video context every column is computed from.

A :class:`Metric` is one registration (:mod:`msi.metrics.registry` lists them in output order):
the :class:`Column` s it fills and a function from one shared :class:`VideoContext` to their
values. The context holds the video's landmarks, frame rate, frame times, ``msi score``'s result,
the audio, a frame reader and the truth's own context; everything expensive is built on first use
and once, so columns that need the same thing (the landmarks, the audio, the truth's tracking)
share it, and a video whose audio or truth is never asked for never decodes them.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from msi.metrics.networks import WEIGHTS

#: What a column can need besides the video itself (``Column.needs``): "weights" are SyncNet's; the
#: others name a network's weights (the rows of ``msi.metrics.networks.WEIGHTS``: FID's "inception",
#: FVD's "i3d", ...).
NEEDS = ("truth", "audio", "weights", *WEIGHTS)

#: Bumped whenever a column's definition changes, so stored rows (``stableface bench`` results) and
#: cached column values know they must be computed again (version 2: ``mouth_motion`` in median
#: mouth widths).
METRICS_VERSION = 2


@dataclass(frozen=True)
class Column:
    name: str  # key in rows, CSV/JSON and ``--paper`` tables
    label: str  # table header
    better: int  # +1 higher is better, -1 lower is better, 0 neither (an offset, an amount)
    needs: tuple[str, ...] = ()  # any of NEEDS; a column whose need is missing is NaN
    fmt: str = "{:.3f}"
    help: str = ""  # one line, shown by ``msi compare --help``
    unit: str = ""


@dataclass(frozen=True)
class CompareSettings:
    """Knobs of the non-MSI columns (MSI's own are in ``msi.settings.Settings``)."""

    cpbd_step: int = 1  # CPBD on every n-th frame
    nlmd_normalise: str = "mouth_width"  # or "none": mouth LMD in pixels
    fid_step: int = 1  # FID on every n-th frame of each video (1: all, pytorch-fid's protocol)
    lpips_region: str = "frame"  # or "face": LPIPS inside the truth's face box
    lse_faces: str = "mesh"  # or "s3fd": LSE on syncnet_python's S3FD tracks and crops (msi.metrics.s3fd_faces)
    lmd_size: tuple[int, int] | None = None  # M-LMD/F-LMD in pixels of a W x H frame (None: the truth's size)
    transcripts: str | None = None  # WER's transcripts: a CSV or a folder (msi.metrics.wer); None: sidecars


@dataclass(frozen=True)
class Metric:
    """One registration: ``compute(context)`` returns {column name: value} for some or all of
    ``columns`` (the rest stay NaN). It raises :class:`msi.errors.MSIError` when its input is
    unusable: the orchestration turns that into NaN cells and one warning.

    ``level="set"`` is for metrics with one value per method (FID, FVD): ``compute(context)``
    then returns {column name: that video's feature rows (n, d)} (computed where the video is,
    in a worker), and ``reduce(rows, reference_rows)`` turns the pooled rows of every video of a
    method and of the reference set into the column's value (:mod:`msi.comparison.compare` pools them and
    adds the bootstrap interval over videos). ``min_items``: fewest pooled rows for a value.
    """

    columns: tuple[Column, ...]
    compute: Callable[[Any], Mapping[str, Any]]
    level: str = "video"
    reduce: Callable[[np.ndarray, np.ndarray], float] | None = None
    min_items: int = 2
    items: str = "rows"  # what a set-level metric's rows are (in messages): "frames", "clips"

    @property
    def needs(self) -> tuple[str, ...]:
        """Needs every column shares: without one of them the metric is not run at all."""
        common = set(self.columns[0].needs)
        for c in self.columns[1:]:
            common &= set(c.needs)
        return tuple(n for n in NEEDS if n in common)

    @property
    def title(self) -> str:
        return "/".join(c.label for c in self.columns)


class VideoContext:
    """One video's inputs to every column; each part is loaded by its loader on first use.

    ``track()`` -> an object with ``landmarks`` (T, 478, 3 pixels, NaN = no face), ``fps``,
    ``timestamps`` (or None) and ``warnings`` (``msi.acquire.Landmarks``); ``score(tracked)`` ->
    ``msi.score.ScoreResult``; ``audio()`` -> ``msi.io.audio.Audio``; ``frames()`` -> a fresh
    iterator over the decoded RGB frames; ``frame_rate()`` -> the container's frame rate.
    A loader that fails raises the same error at every later use (nothing is tracked twice),
    also when columns run in threads (``msi compare`` runs them side by side on one decode).
    """

    def __init__(self, path: str, *, settings: Any, options: CompareSettings = CompareSettings(),
                 syncnet_weights: Any = None, truth: VideoContext | None = None,
                 weights: Mapping[str, Any] | None = None,
                 track: Callable[[], Any], score: Callable[[Any], Any], audio: Callable[[], Any],
                 frames: Callable[[], Iterator[np.ndarray]], frame_rate: Callable[[], float],
                 frame_size: Callable[[], tuple[int, int]] | None = None) -> None:
        self.path = str(path)
        self.settings = settings  # msi.settings.Settings: scheme, mouth-width frames, tracking
        self.options = options
        self.syncnet_weights = syncnet_weights
        self.truth = truth
        self.weights = {k: v for k, v in (weights or {}).items() if v is not None}  # need -> path or net
        self.notes: list[str] = []
        self._loaders = {"track": track, "score": lambda: score(self.tracked), "audio": audio,
                         "frame_rate": frame_rate, "frame_size": frame_size or self._probe_size}
        self._frames = frames
        #: the job's batchers (:class:`msi.networks.batching.JobBatchers`, shared by its videos'
        #: contexts): their networks' inputs in the same batches; None: this video's alone
        self.batchers: Any = None
        self._done: dict[str, tuple[bool, Any]] = {}
        self._locks = {key: threading.Lock() for key in self._loaders}

    def _get(self, key: str) -> Any:
        if key not in self._done:
            with self._locks[key]:  # one load, however many columns ask at once
                if key not in self._done:
                    try:
                        self._done[key] = (True, self._loaders[key]())
                    except Exception as exc:  # kept and raised again: a failed load is not retried
                        self._done[key] = (False, exc)
        ok, value = self._done[key]
        if not ok:
            raise value
        return value

    @property
    def tracked(self) -> Any:
        return self._get("track")

    @property
    def landmarks(self) -> np.ndarray:
        return self.tracked.landmarks

    @property
    def fps(self) -> float:
        return float(self.tracked.fps)

    @property
    def timestamps(self) -> np.ndarray | None:
        return self.tracked.timestamps

    @property
    def scheme(self) -> str:
        return self.settings.scheme

    @property
    def score(self) -> Any:
        return self._get("score")

    @property
    def audio(self) -> Any:
        return self._get("audio")

    @property
    def frame_rate(self) -> float:
        return float(self._get("frame_rate"))

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the upright frames: the pixels the landmarks are in."""
        return self._get("frame_size")

    def _probe_size(self) -> tuple[int, int]:
        from msi.io.video import probe

        info = probe(self.path)
        return int(info.width), int(info.height)

    def frames(self) -> Iterator[np.ndarray]:
        return self._frames()

    def batcher(self, key: Any, forward: Callable[[list], Any], size: int) -> Any:
        """The :class:`msi.networks.batching.Batcher` a column sends a network's inputs to:
        the job's, shared with the other videos' columns (``key``: the network and whatever
        decides what may share a batch), or, alone, one of this call's own."""
        from msi.networks.batching import Batcher

        if self.batchers is None:
            return Batcher(forward, size)
        return self.batchers.get(key, forward, size)

    def has(self, need: str) -> bool:
        """Whether ``need`` ("truth", "weights" or a network's name) was given; audio is known
        only once read."""
        if need == "truth":
            return self.truth is not None
        if need == "weights":
            return self.syncnet_weights is not None
        return need in self.weights

    def note(self, text: str) -> None:
        """A warning for the row (once: several columns may report the same thing)."""
        if text not in self.notes:
            self.notes.append(text)


def paired_frames(ctx: VideoContext, truth: VideoContext) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(k, frame, truth frame or None) over the video's frames, the truth's frame at the same time
    (index ``round(k * truth_fps / fps)``), both decoded once and in step."""
    fps, tfps = ctx.fps, truth.frame_rate
    ratio = tfps / fps if fps > 0 else 1.0
    if not math.isclose(tfps, fps, rel_tol=1e-3):
        ctx.note(f"truth at {tfps:.3g} fps, video at {fps:.3g} fps: frames paired by time")
    it = enumerate(truth.frames())
    cur: tuple[int, np.ndarray | None] = (-1, None)
    done = False
    for k, frame in enumerate(ctx.frames()):
        j = int(round(k * ratio)) if ratio != 1.0 else k
        while not done and cur[0] < j:
            try:
                cur = next(it)
            except StopIteration:
                done = True
        yield k, frame, (cur[1] if cur[0] == j else None)
