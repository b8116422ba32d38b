"""Face-mesh topology, the shape rasteriser and the mouth mask, on a real tracked face."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.draw import polygon2mask
from scipy.spatial import ConvexHull

from generator.data import topology
from generator.data.raster import Shading, mouth_mask, render_shape

S = 256


@pytest.fixture(scope="module")
def mesh() -> np.ndarray:
    """The astronaut photo's MediaPipe mesh, in the pixels of a 256 crop around the face."""
    from skimage.data import astronaut

    from msi.tracking.trackers import open_tracker

    with open_tracker() as tracker:
        lm = tracker.process(astronaut())
    assert np.isfinite(lm).all()
    x0, y0, side = 150, 50, 150
    out = lm.copy()
    out[:, 0] -= x0
    out[:, 1] -= y0
    return (out * S / side).astype(np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


# ---------------------------------------------------------------- topology


def test_triangles_are_mediapipes_tessellation():
    from mediapipe.tasks.python.vision.face_landmarker import FaceLandmarksConnections as C

    tri = topology.MESH_TRIANGLES
    edges = {tuple(sorted(e)) for t in tri for e in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0]))}
    assert edges == {tuple(sorted((c.start, c.end))) for c in C.FACE_LANDMARKS_TESSELATION}
    assert set(np.unique(tri)) == set(range(468))
    assert topology.TRIANGLES.min() >= 0 and topology.TRIANGLES.max() < topology.N_VERTICES


def test_winding_is_consistent():
    # A consistently oriented surface uses every interior edge once in each direction.
    directed = [(int(t[i]), int(t[(i + 1) % 3])) for t in topology.TRIANGLES for i in range(3)]
    assert len(directed) == len(set(directed))


def test_front_faces_point_to_the_camera(mesh):
    v = mesh[topology.TRIANGLES]
    normal_z = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])[:, 2]
    assert (normal_z < 0).mean() > 0.95  # a frontal face: nearly all triangles face the camera


def test_regions(mesh):
    assert set(topology.LIPS) <= set(topology.MOUTH_REGION)
    assert not set(topology.RIGID_REGION) & set(topology.MOUTH_REGION)
    assert len(topology.RIGID_REGION) >= 40
    # The mouth region is the lower face: below the eyes; the rigid region is mostly above the mouth.
    eyes_y = mesh[[33, 133, 362, 263], 1].mean()
    assert mesh[topology.MOUTH_REGION, 1].min() > eyes_y
    assert np.median(mesh[topology.RIGID_REGION, 1]) < mesh[13, 1]


# ---------------------------------------------------------------- shape render


def test_render_is_deterministic_and_numpy_torch_agree(mesh):
    a = render_shape(mesh[None], S)
    b = render_shape(mesh[None], S)
    c = render_shape(torch.from_numpy(mesh[None]), S)
    assert a.shape == (1, 1, S, S) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.array_equal(a, c.numpy())
    assert a.min() == 0.0 and a.max() <= 1.0


def test_silhouette_matches_projected_hull(mesh):
    sil = render_shape(mesh[None], S)[0, 0] > 0
    # The mesh covers its outline polygon except the mouth opening (left open on purpose).
    outline = polygon2mask((S, S), mesh[topology.OUTLINE][:, [1, 0]] - 0.5)
    mouth = polygon2mask((S, S), mesh[topology.MOUTH_OPENING][:, [1, 0]] - 0.5)
    assert iou(sil, outline & ~mouth) > 0.98
    hull = mesh[:, :2][ConvexHull(mesh[:, :2]).vertices]
    assert iou(sil, polygon2mask((S, S), hull[:, [1, 0]] - 0.5)) > 0.95
    rows, cols = np.nonzero(sil)  # nothing drawn outside the mesh's box
    assert cols.min() >= mesh[:, 0].min() - 1 and cols.max() <= mesh[:, 0].max()
    assert rows.min() >= mesh[:, 1].min() - 1 and rows.max() <= mesh[:, 1].max()


@pytest.mark.parametrize("light", [(-0.6, 0.0, -1.0), (0.5, -0.3, -1.0)])
def test_shading_is_lambertian_and_brighter_toward_the_light(mesh, light):
    shading = Shading(light=light)
    lhat = np.asarray(light) / np.linalg.norm(light)
    means, angles = [], []
    for g in (-0.8, -0.3, 0.0, 0.3, 0.8):  # planes z = g * x, tilted left ... right
        flat = mesh.copy()
        flat[:, 2] = g * (flat[:, 0] - S / 2)
        img = render_shape(flat[None], S, shading)[0, 0]
        n = np.array([g, 0.0, -1.0]) / np.hypot(g, 1.0)  # the plane's normal toward the camera
        expected = shading.ambient + shading.diffuse * max(0.0, float(n @ lhat))
        covered = img > 0
        assert covered.sum() > 5000
        # Exact except where the flattened mesh folds over itself (sides of the nose: the
        # real mesh's few back-facing triangles), where neighbouring normals mix.
        close = np.abs(img[covered] - expected) < 2e-4
        assert close.mean() > 0.99
        assert np.median(img[covered]) == pytest.approx(expected, abs=1e-5)
        means.append(float(np.median(img[covered])))
        angles.append(np.arccos(np.clip(n @ lhat, -1, 1)))
    # The more a plane faces the light (smaller angle between normal and light), the brighter.
    order = np.argsort(angles)
    assert np.all(np.diff(np.array(means)[order]) < 0)


def test_real_face_lit_from_the_side(mesh):
    left = render_shape(mesh[None], S, Shading(light=(-1.0, 0.0, -0.3)))[0, 0]
    right = render_shape(mesh[None], S, Shading(light=(1.0, 0.0, -0.3)))[0, 0]
    cx = int(mesh[1, 0])  # nose tip column
    cov = left > 0
    assert left[:, :cx][cov[:, :cx]].mean() > left[:, cx:][cov[:, cx:]].mean() + 0.1
    assert right[:, cx:][cov[:, cx:]].mean() > right[:, :cx][cov[:, :cx]].mean() + 0.1


def test_batch_equals_single_and_nan_meshes_draw_nothing(mesh):
    shifted = mesh.copy()
    shifted[:, 0] += 17.3
    nan = np.full_like(mesh, np.nan)
    batch = render_shape(np.stack([mesh, shifted, nan]), S, chunk=2)
    assert np.array_equal(batch[0], render_shape(mesh[None], S)[0])
    assert np.array_equal(batch[1], render_shape(shifted[None], S)[0])
    assert not batch[2].any()
    assert not np.array_equal(batch[0], batch[1])


def test_render_is_differentiable_wrt_vertices(mesh):
    v = torch.tensor(mesh[None], dtype=torch.float64, requires_grad=True)
    weights = torch.rand(1, 1, S, S, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    (render_shape(v, S) * weights).sum().backward()
    assert v.grad is not None and torch.isfinite(v.grad).all()
    assert (v.grad[0, :468].abs().sum(dim=1) > 0).float().mean() > 0.9
    # Depth moves only the shading (not the silhouette): compare with finite differences.
    for i in (4, 200, 425):  # nose, cheek, cheek
        eps = 1e-3
        with torch.no_grad():
            plus, minus = v.detach().clone(), v.detach().clone()
            plus[0, i, 2] += eps
            minus[0, i, 2] -= eps
            fd = ((render_shape(plus, S) - render_shape(minus, S)) * weights).sum() / (2 * eps)
        assert float(v.grad[0, i, 2]) == pytest.approx(float(fd), rel=1e-3, abs=1e-6)


# ---------------------------------------------------------------- mouth mask


def test_mouth_mask_covers_the_mouth_only(mesh):
    m = mouth_mask(mesh[None], S)[0]
    assert m.dtype == bool and m.shape == (S, S)
    lips = np.floor(mesh[topology.LIPS, :2]).astype(int)
    assert m[lips[:, 1], lips[:, 0]].all()
    centre = np.floor(mesh[topology.MOUTH_OPENING, :2].mean(axis=0)).astype(int)
    assert m[centre[1], centre[0]]  # the mouth opening is inside
    eyes = np.floor(mesh[[33, 133, 362, 263, 468, 473], :2]).astype(int)
    assert not m[eyes[:, 1], eyes[:, 0]].any()
    sil = render_shape(mesh[None], S)[0, 0] > 0
    # The only part of the mask off the rendered mesh is the mouth opening.
    from scipy.ndimage import binary_dilation

    opening = polygon2mask((S, S), mesh[topology.MOUTH_OPENING][:, [1, 0]] - 0.5)
    assert (m & ~sil & ~binary_dilation(opening, iterations=1)).sum() <= 10
    assert 0.15 < m.sum() / sil.sum() < 0.6


def test_mouth_mask_dilation_grows(mesh):
    m0 = mouth_mask(mesh[None], S)[0]
    m3 = mouth_mask(mesh[None], S, dilate=3)[0]
    assert (m3 | m0).sum() == m3.sum()  # contains the undilated mask
    assert m3.sum() > m0.sum() + 3 * 40
    t = mouth_mask(torch.from_numpy(mesh[None]), S, dilate=3)
    assert torch.is_tensor(t) and np.array_equal(t.numpy()[0], m3)


def test_lip_box_is_the_lips_bounding_box_grown_by_pad(mesh):
    from generator.data.raster import lip_box

    for pad in (0, 2):
        box = lip_box(mesh[None], S, pad=pad)[0]
        lips = mesh[topology.LIPS, :2]
        lo, hi = lips.min(0) - pad, lips.max(0) + pad
        rows, cols = np.nonzero(box)
        # the box's pixel centres are exactly those inside [lo, hi]
        assert cols.min() + 0.5 >= lo[0] and cols.min() - 0.5 < lo[0]
        assert rows.max() + 0.5 <= hi[1] and rows.max() + 1.5 > hi[1]
        assert box.sum() == (cols.max() - cols.min() + 1) * (rows.max() - rows.min() + 1)  # a filled box
    assert lip_box(mesh[None], S, pad=2)[0].sum() > lip_box(mesh[None], S, pad=0)[0].sum()
    # the lips are a small part of the frame: the extra weight is local
    assert lip_box(mesh[None], S)[0].mean() < 0.05


def test_mouth_coverage_measures_the_opening_to_a_fraction_of_a_pixel():
    """The mouth channel (RendererConfig.mouth_channel): the coverage of the inner-lip loop sums
    to the loop's area, and a gap a quarter of a pixel wider reads wider (a centre raster cannot)."""
    import numpy as np

    from generator.data.raster import mouth_coverage
    from generator.data.topology import MOUTH_OPENING

    def mesh(half_height):
        v = np.zeros((478, 3), np.float32)
        t = np.linspace(0, 2 * np.pi, len(MOUTH_OPENING), endpoint=False)
        v[MOUTH_OPENING, 0] = 32.3 + 8 * np.cos(t)
        v[MOUTH_OPENING, 1] = 40.6 + half_height * np.sin(t)
        return v

    def area(v):
        p = v[MOUTH_OPENING, :2]
        return 0.5 * abs(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(p[:, 1], np.roll(p[:, 0], -1)))

    thin, wider = mesh(0.5), mesh(0.75)
    cov = mouth_coverage(np.stack([thin, wider]), 64, samples=8)
    assert cov.shape == (2, 64, 64) and cov.min() >= 0 and cov.max() <= 1
    for c, v in zip(cov, (thin, wider)):
        assert abs(c.sum() - area(v)) < 0.1 * area(v) + 0.2
    assert cov[1].sum() > cov[0].sum() * 1.3


def test_mouth_coverage_matches_a_full_frame_point_in_polygon():
    """The coverage is computed only over the mouths' bounding box: it must equal an even-odd test
    of every sample point of the whole frame (matplotlib's Path), for real tracked mouths, a mouth
    cut by the frame's edge, and a batch whose mouths lie far apart."""
    import numpy as np
    from matplotlib.path import Path as MplPath

    from generator.data.raster import mouth_coverage
    from generator.data.topology import MOUTH_OPENING

    S, n = 32, 4
    rng = np.random.default_rng(3)
    meshes = np.zeros((4, 478, 3), np.float32)
    t = np.linspace(0, 2 * np.pi, len(MOUTH_OPENING), endpoint=False)
    for k, (cx, cy, w, h) in enumerate([(16.2, 20.3, 6, 1.3), (1.0, 30.9, 5, 2.0), (27.7, 4.1, 4, 3), (9.5, 9.5, 3, 0.4)]):
        jitter = rng.normal(0, 0.2, (len(t), 2))
        meshes[k, MOUTH_OPENING, 0] = cx + w * np.cos(t) + jitter[:, 0]
        meshes[k, MOUTH_OPENING, 1] = cy + h * np.sin(t) + jitter[:, 1]
    cov = mouth_coverage(meshes, S, samples=n)
    c = (np.arange(S)[:, None] + (np.arange(n) + 0.5) / n).ravel()
    pts = np.stack(np.meshgrid(c, c), -1).reshape(-1, 2)  # (x, y) of every sample point
    for k in range(len(meshes)):
        inside = MplPath(meshes[k, MOUTH_OPENING, :2]).contains_points(pts).reshape(S * n, S * n)
        ref = inside.reshape(S, n, S, n).mean(axis=(1, 3))
        assert np.abs(cov[k] - ref).max() <= 1 / n**2 + 1e-6, k  # a sample point on an edge may differ
        assert abs(cov[k].sum() - ref.sum()) < 0.1
    assert cov[1, :, 0].sum() > 0  # the mouth cut by the left edge is kept
