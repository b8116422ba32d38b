"""Landmark index sets, the one home for every region used by the metric.

Two schemes are supported:

* ``mediapipe478``: MediaPipe face mesh with iris refinement (468 + 10 iris points).
* ``ibug68``: the iBUG 300-W 68-point markup used by dlib, FAN/face-alignment, etc.
  (0-based indices).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scheme:
    """A landmark scheme: how many points, and which of them form each region."""

    name: str
    n_points: int
    lip: tuple[int, ...]
    jaw: tuple[int, ...]
    mouth_corners: tuple[int, int]

    def region(self, name: str) -> tuple[int, ...]:
        if name not in REGIONS:
            raise KeyError(f"unknown region {name!r}; choose from {', '.join(REGIONS)}")
        return getattr(self, name)


#: Regions MSI is reported for, in output order.
REGIONS = ("lip", "jaw")

# MediaPipe lip contour, outer (20 points) then inner (20 points): every point of
# mediapipe's FACEMESH_LIPS connections (checked against mediapipe in the tests).
MP_LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
MP_LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
# Lower arc of FACEMESH_FACE_OVAL, from the right ear (image left) under the chin to the left ear.
MP_JAW = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)

#: MediaPipe face mesh with iris refinement: 468 mesh points + 10 iris points.
MP_N_POINTS = 478
#: Mouth corners (image left, image right): the mouth width that normalises scale.
MP_MOUTH_CORNERS = (61, 291)
#: The whole FACEMESH_FACE_OVAL ring, clockwise from the forehead top (10); MP_JAW is its lower arc.
MP_FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
                152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
#: Eyes (image left, image right): ((corner, corner), upper lid, lower lid), lids without the corners.
MP_EYES = (
    ((33, 133), (246, 161, 160, 159, 158, 157, 173), (7, 163, 144, 145, 153, 154, 155)),
    ((362, 263), (398, 384, 385, 386, 387, 388, 466), (382, 381, 380, 374, 373, 390, 249)),
)

MEDIAPIPE478 = Scheme(
    name="mediapipe478",
    n_points=MP_N_POINTS,
    lip=MP_LIPS_OUTER + MP_LIPS_INNER,
    jaw=MP_JAW,
    mouth_corners=MP_MOUTH_CORNERS,
)

IBUG68 = Scheme(
    name="ibug68",
    n_points=68,
    lip=tuple(range(48, 68)),
    jaw=tuple(range(0, 17)),
    mouth_corners=(48, 54),
)

SCHEMES: dict[str, Scheme] = {s.name: s for s in (MEDIAPIPE478, IBUG68)}

#: Middle of the upper and lower inner lip, per scheme: the lip opening of ``msi.metrics.mouth_motion``.
LIP_OPENING: dict[str, tuple[int, int]] = {"mediapipe478": (13, 14), "ibug68": (62, 66)}

#: Points neither speech nor blinks move (upper face: forehead midline and the face oval above
#: the eyes; iBUG: nose bridge, eye corners, face outline at ear level), per scheme: the
#: head-motion reference of the ``hf`` MSI variant (``msi.metrics.variants``).
STABLE_POINTS: dict[str, tuple[int, ...]] = {
    "mediapipe478": (10, 338, 297, 332, 284, 251, 389, 109, 67, 103, 54, 21, 162, 151, 9),
    "ibug68": (27, 28, 36, 39, 42, 45, 0, 16),
}


#: The iBUG 300-W 68-point markup read off the MediaPipe mesh: for each of the 68 points (jaw 0-16,
#: brows 17-26, nose 27-35, eyes 36-47, outer lips 48-59, inner lips 60-67), the mesh point(s) at
#: that place; where two are given the 68-point landmark is their midpoint. Source: Peizhi Yan's
#: MediaPipe-to-dlib correspondence (github.com/PeizhiYan/Mediapipe_2_Dlib_Landmarks,
#: ``mp2dlib.py``, 2024), used unchanged.
MP_IBUG68: tuple[tuple[int, ...], ...] = (
    (127,), (234,), (93,), (132, 58), (58, 172), (136,), (150,), (176,), (152,),  # jaw 0-8
    (400,), (379,), (365,), (397, 288), (361,), (323,), (454,), (356,),  # jaw 9-16
    (70,), (63,), (105,), (66,), (107,), (336,), (296,), (334,), (293,), (300,),  # brows 17-26
    (168, 6), (197, 195), (5,), (4,), (75,), (97,), (2,), (326,), (305,),  # nose 27-35
    (33,), (160,), (158,), (133,), (153,), (144,), (362,), (385,), (387,), (263,), (373,), (380,),  # eyes
    (61,), (39,), (37,), (0,), (267,), (269,), (291,), (321,), (314,), (17,), (84,), (91,),  # outer lips
    (78,), (82,), (13,), (312,), (308,), (317,), (14,), (87,),  # inner lips 60-67
)
#: The mouth of the 68-point markup (outer and inner lips): M-LMD's points.
IBUG68_MOUTH: tuple[int, ...] = tuple(range(48, 68))

def get_scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise KeyError(f"unknown landmark scheme {name!r}; choose from {', '.join(SCHEMES)}") from None


#: Every mediapipe478 point a score reads (MSI's lips and jaw with the mouth corners, the lip
#: opening of mouth motion, the stable points of the hf variant), in index order: what long videos
#: keep per frame in memory and in the cache's compact copy (msi.io.landmark_store). Whether a frame
#: has a face is whether these are finite, as the face check and coverage read it.
MP_SCORE_POINTS: tuple[int, ...] = tuple(sorted(
    set(MEDIAPIPE478.lip) | set(MEDIAPIPE478.jaw) | set(MEDIAPIPE478.mouth_corners)
    | set(LIP_OPENING["mediapipe478"]) | set(STABLE_POINTS["mediapipe478"])))
