"""Which face is scored when a frame shows several: one face, followed through the video.

Choosing "the largest face" anew in every frame has no memory: with two faces of about the same
size (a side-by-side comparison video) the choice flips between them and the trajectory jumps
across the frame, which MSI reads as jitter. :class:`FaceFollower` picks a face once, by a
rule, and then follows it by continuity: in each frame, the face nearest to where the followed
face was last seen. A face farther than ``MAX_JUMP`` face widths from it is not taken for it (the
frame counts as "face lost"), so a vanished face is never silently replaced by another person.

Pure: landmark arrays in, indices out. A tracker calls ``follower(faces, previous)`` per frame;
:class:`FollowedFace` is the same choice as a step of a pipeline (every frame's faces in, the
followed face out).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator

import numpy as np

from msi.errors import UsageError

#: Named rules for the first choice; an integer K picks the K-th face from the left (1-based).
FACE_RULES = ("largest", "left", "right", "center")
#: Largest plausible move of a face centre between two sightings, in face widths.
MAX_JUMP = 1.5


def parse_face(spec: str | int | None) -> str | int:
    """A face choice: one of :data:`FACE_RULES` or a positive integer K (as text or int)."""
    if spec is None:
        return "largest"
    s = str(spec).strip().lower()
    if s in FACE_RULES:
        return s
    if s.isdigit() and int(s) >= 1:
        return int(s)
    raise UsageError(f"face choice {spec!r}: use {', '.join(FACE_RULES)} or a number K >= 1 (K-th face from the left)")


def face_geometry(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres (F, 2) and widths (F,) of the x/y bounding boxes of faces (F, N, 2|3)."""
    xy = np.asarray(faces, dtype=np.float64)[..., :2]
    lo, hi = np.nanmin(xy, axis=1), np.nanmax(xy, axis=1)
    return (lo + hi) / 2, np.maximum(hi[:, 0] - lo[:, 0], 1e-6)


def first_choice(faces: np.ndarray, rule: str | int, frame_size: tuple[int, int] | None = None) -> int | None:
    """Index of the face a rule picks among ``faces`` (F, N, 2|3); None if the rule cannot
    (K larger than the number of faces)."""
    if len(faces) == 0:
        return None
    centres, widths = face_geometry(faces)
    order = np.argsort(centres[:, 0], kind="stable")  # left to right
    if rule == "largest":
        xy = np.asarray(faces)[..., :2]
        area = np.ptp(xy[..., 0], axis=1) * np.ptp(xy[..., 1], axis=1)
        return int(np.argmax(area))
    if rule == "left":
        return int(order[0])
    if rule == "right":
        return int(order[-1])
    if rule == "center":
        mid = (np.array(frame_size, dtype=np.float64) / 2 if frame_size
               else centres.mean(axis=0))
        return int(np.argmin(np.linalg.norm(centres - mid, axis=1)))
    k = int(rule)
    return int(order[k - 1]) if k <= len(faces) else None


class FaceFollower:
    """A stateful face choice: ``follower(faces, previous=None) -> index | None`` per frame.

    The first frame with a face (enough faces, for K) picks by ``rule``; later frames take the
    face nearest to the last one followed. Counts what it saw for the warnings.
    """

    def __init__(self, rule: str | int = "largest", frame_size: tuple[int, int] | None = None) -> None:
        self.rule = parse_face(rule)
        self.frame_size = frame_size
        self.centre: np.ndarray | None = None  # last followed face
        self.width = 0.0
        self.frames = 0
        self.frames_multi = 0  # frames with more than one face
        self.most_faces = 0
        self.lost = 0  # frames where faces were found but none near the followed one

    def __call__(self, faces: np.ndarray, previous: np.ndarray | None = None) -> int | None:
        self.frames += 1
        faces = np.asarray(faces)
        n = len(faces)
        self.most_faces = max(self.most_faces, n)
        if n > 1:
            self.frames_multi += 1
        if n == 0:
            return None
        centres, widths = face_geometry(faces)
        if self.centre is None:
            i = first_choice(faces, self.rule, self.frame_size)
            if i is None:
                return None
        else:
            dist = np.linalg.norm(centres - self.centre, axis=1)
            i = int(np.argmin(dist))
            if dist[i] > MAX_JUMP * self.width:
                self.lost += 1
                return None
        self.centre, self.width = centres[i], float(widths[i])
        return i

    def warnings(self) -> list[str]:
        out = []
        if self.most_faces > 1:
            what = f"the {self.rule} face" if isinstance(self.rule, str) else f"face {self.rule} from the left"
            out.append(f"up to {self.most_faces} faces in {self.frames_multi}/{self.frames} frames: scored one, "
                       f"{what} where first seen, followed by continuity (choose another with face=left|right|center|K)")
        if self.lost:
            out.append(f"the followed face was not found in {self.lost} frame(s) that showed other faces; "
                       "those frames count as frames without a face")
        if self.centre is None and self.most_faces and not isinstance(self.rule, str):
            out.append(f"never {self.rule} faces in one frame: no face {self.rule} to score")
        return out


@dataclass
class FollowedFace:
    """The followed face of each frame, out of every frame's faces (an iterable of (F, N, 3)
    arrays, e.g. :class:`msi.tracking.trackers.FaceDetections`): iterating yields one (N, 3)
    array per frame, NaN where the face is not there. The first choice is ``rule``'s
    (:class:`FaceFollower`; ``frame_size`` for ``center``). When the pass ends, what the follower
    has to say is data: ``notes`` (:meth:`FaceFollower.warnings`)."""

    faces: Iterable[np.ndarray]
    rule: str | int = "largest"
    frame_size: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[np.ndarray]:
        follower = FaceFollower(self.rule, self.frame_size)
        for faces in self.faces:
            k = follower(faces)
            yield faces[k] if k is not None else np.full(np.shape(faces)[1:], np.nan)
        self.notes = follower.warnings()
