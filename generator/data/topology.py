"""Topology of the MediaPipe face mesh (478 points): triangles and vertex regions.

Everything here is derived at import time from what the ``mediapipe`` wheel ships, so it
cannot drift from the tracker's numbering:

* ``FaceLandmarksConnections.FACE_LANDMARKS_TESSELATION`` (Tasks API) is written as the
  canonical face model's triangles, one triangle per three consecutive edges
  ``(a, b), (b, c), (c, a)``, in order (852 triangles over vertices 0..467; the legacy
  ``FACEMESH_TESSELATION`` is a ``frozenset`` of the same edges).
  Their winding is consistent: in image coordinates (x right, y down, z away from the
  camera, MediaPipe's convention) a face toward the camera has ``cross(v1-v0, v2-v0)``
  with negative z.
* The mesh has four boundary loops: the face outline, the mouth opening and the two eye
  openings. ``TRIANGLES`` closes the eye openings with a fan to the iris centres (468,
  473) so the shape render looks like DECA's (FLAME has eyeballs); the mouth stays open, so
  the render shows how far it opens.

Regions are defined by distance in mesh edges (graph rings), a purely topological
definition:

* ``MOUTH_REGION``: vertices within 5 edges of the lips (lips, chin, the cheeks beside the
  mouth up to the base of the nose): the lower-face area used by the mouth mask.
* ``RIGID_REGION``: vertices at least 7 edges from the lips, 2 from the eyes and 1 from the
  eyebrows (forehead, nose bridge, temples, upper cheeks): what the per-frame pose is
  aligned on, so that jaw and eye motion stays in the expression, not in the pose.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from msi.regions import LIP_OPENING, MP_LIPS_INNER, MP_LIPS_OUTER, MP_N_POINTS

N_VERTICES = MP_N_POINTS  # 468 mesh points + 10 iris points (refine_landmarks=True)
N_MESH = 468
IRIS_CENTRES = {"right": 468, "left": 473}  # subject's right eye is on the image left
MOUTH_RING = 5
RIGID_LIP_DISTANCE, RIGID_EYE_DISTANCE, RIGID_BROW_DISTANCE = 7, 2, 1


def _tessellation() -> np.ndarray:
    """Ordered (F, 3) triangles from mediapipe's face mesh tessellation (Tasks API, an ordered
    list in every mediapipe release the project allows: the same edges, in the same order, as the
    legacy ``FACEMESH_TESSELATION`` source)."""
    from mediapipe.tasks.python.vision.face_landmarker import FaceLandmarksConnections as fmc

    edges = np.array([(c.start, c.end) for c in fmc.FACE_LANDMARKS_TESSELATION], dtype=np.int64)
    tri = edges.reshape(-1, 3, 2)
    closed = (tri[:, 0, 1] == tri[:, 1, 0]) & (tri[:, 1, 1] == tri[:, 2, 0]) & (tri[:, 2, 1] == tri[:, 0, 0])
    if not closed.all():  # pragma: no cover
        raise RuntimeError("mediapipe's face mesh tessellation is not written as triangles")
    return tri[:, :, 0].copy()


def _boundary_loops(tri: np.ndarray) -> list[list[int]]:
    """Boundary loops as ordered vertex lists, following the triangles' winding."""
    count: dict[tuple[int, int], int] = defaultdict(int)
    for t in tri:
        for i in range(3):
            a, b = int(t[i]), int(t[(i + 1) % 3])
            count[(min(a, b), max(a, b))] += 1
    nxt: dict[int, int] = {}
    for t in tri:
        for i in range(3):
            a, b = int(t[i]), int(t[(i + 1) % 3])
            if count[(min(a, b), max(a, b))] == 1:
                nxt[a] = b
    loops, seen = [], set()
    for start in sorted(nxt):
        if start in seen:
            continue
        loop, v = [], start
        while v not in seen:
            seen.add(v)
            loop.append(v)
            v = nxt[v]
        loops.append(loop)
    return loops


def _connection_vertices(name: str) -> list[int]:
    from mediapipe.tasks.python.vision.face_landmarker import FaceLandmarksConnections as fmc

    return sorted({i for c in getattr(fmc, name) for i in (c.start, c.end)})


MESH_TRIANGLES: np.ndarray = _tessellation()  # (852, 3), vertices 0..467, eyes and mouth open
_LOOPS = _boundary_loops(MESH_TRIANGLES)
_RIGHT_EYE = set(_connection_vertices("FACE_LANDMARKS_RIGHT_EYE"))
_LEFT_EYE = set(_connection_vertices("FACE_LANDMARKS_LEFT_EYE"))
_LIPS = sorted(MP_LIPS_OUTER + MP_LIPS_INNER)  # = FACEMESH_LIPS (checked in tests/msi)


def _eye_fan(eye: set[int], centre: int) -> np.ndarray:
    loop = next(lp for lp in _LOOPS if eye & set(lp) and len(set(lp) - eye) <= 2)
    # A boundary edge a->b runs along the hole with the mesh on one side; the fan triangle
    # (b, a, centre) uses the edge in the opposite direction, so the winding stays consistent.
    return np.array([[loop[(i + 1) % len(loop)], loop[i], centre] for i in range(len(loop))], dtype=np.int64)


#: (F, 3) triangles rendered by :mod:`generator.data.raster`: the mesh plus the two eye fans.
TRIANGLES: np.ndarray = np.concatenate(
    [MESH_TRIANGLES, _eye_fan(_RIGHT_EYE, IRIS_CENTRES["right"]), _eye_fan(_LEFT_EYE, IRIS_CENTRES["left"])]
)
#: Ordered vertices of the outer face outline (boundary of the mesh).
OUTLINE: np.ndarray = np.array(max(_LOOPS, key=len), dtype=np.int64)
#: Ordered vertices of the mouth opening.
MOUTH_OPENING: np.ndarray = np.array(next(lp for lp in _LOOPS if LIP_OPENING["mediapipe478"][0] in lp), dtype=np.int64)


def _edge_distance(sources: list[int]) -> np.ndarray:
    """Distance in mesh edges from the nearest source vertex, for all 478 vertices (iris: inf)."""
    e = np.concatenate([MESH_TRIANGLES[:, [0, 1]], MESH_TRIANGLES[:, [1, 2]], MESH_TRIANGLES[:, [2, 0]]])
    adj = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(N_VERTICES, N_VERTICES))
    return shortest_path(adj, directed=False, unweighted=True, indices=sources).min(axis=0)


_LIP_DISTANCE = _edge_distance(_LIPS)
_EYE_DISTANCE = _edge_distance(sorted(_RIGHT_EYE | _LEFT_EYE))
_BROW_DISTANCE = _edge_distance(
    sorted(set(_connection_vertices("FACE_LANDMARKS_RIGHT_EYEBROW")) | set(_connection_vertices("FACE_LANDMARKS_LEFT_EYEBROW")))
)

#: Vertex indices of the lower face around the mouth (see module docstring).
MOUTH_REGION: np.ndarray = np.flatnonzero(_LIP_DISTANCE <= MOUTH_RING)
#: Triangles with all three corners in ``MOUTH_REGION`` (what the mouth mask fills).
MOUTH_TRIANGLES: np.ndarray = MESH_TRIANGLES[np.isin(MESH_TRIANGLES, MOUTH_REGION).all(axis=1)]
#: Vertex indices that move little with speech and blinks (pose alignment).
RIGID_REGION: np.ndarray = np.flatnonzero(
    (_LIP_DISTANCE >= RIGID_LIP_DISTANCE)
    & (_EYE_DISTANCE >= RIGID_EYE_DISTANCE)
    & (_BROW_DISTANCE >= RIGID_BROW_DISTANCE)
    & np.isfinite(_LIP_DISTANCE)
)
#: Lip vertices (msi.regions' outer and inner lip rings: every point of mediapipe's FACEMESH_LIPS).
LIPS: np.ndarray = np.array(_LIPS, dtype=np.int64)
