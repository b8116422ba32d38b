"""Animating a face photo: a landmark rig for mouth and head, and a piecewise-affine warp.

The photo's MediaPipe face mesh (478 points) is deformed per frame by :class:`FaceRig` and the
photo is warped so that every triangle of a fixed triangulation maps onto its deformed copy
(:class:`PiecewiseAffineWarp`, a piecewise-affine image warp as in classical active appearance
models: Cootes, Edwards & Taylor, "Active appearance models", ECCV 1998). The triangulation covers
the whole frame (mesh points, a ring around the face that moves with the head, fixed image
border), so the warp is continuous everywhere: no tearing at the face boundary.

Mouth model (in units of the photo's mouth width ``w``, ``u`` horizontal offset from the mouth
centre, ``f(u) = (1 - 4u^2)_+^{0.6}`` the opening profile that vanishes at the corners, ``L`` a
lip weight: 1 on the lips and Gaussian fall-off of ``0.5 w`` outside):

* the photo's lips are first closed (each lip moves half the inner gap towards the mouth's
  midline) leaving a gap of ``0.03 w``, so the neutral pose is a closed mouth;
* opening ``o`` in [0, 1]: a jaw drop of ``0.45 A`` on the lower face (fading towards the ears)
  plus a lip parting of ``+0.5 A f(u)`` (lower lip) and ``-0.2 A f(u)`` (upper lip), ``A = 0.42 w o``;
* width ``s`` in [-1, 1]: corners move by ``+-0.12 w s`` horizontally (spread / narrow);
* rounding ``r`` in [0, 1]: corners move inwards by ``0.12 w r`` and the lips thicken by up to
  ``0.04 w r`` in the middle (protruded, rounded lips); width and rounding fall off at ``0.35 w``;
* jitter: a per-frame translation ``(jx, jy)`` of the lip region (weight exactly 1 on the lips);
* blink ``b`` in [0, 1]: the eye between the lids is squeezed towards the lower lid (by ``0.95 b``
  of its height, zero at the corners) and the lid skin above follows with a Gaussian fall-off;
* head pose: a rotation (yaw, pitch, roll) of the 3D mesh about the face centre and a
  translation, with orthographic projection; the ring follows with the translation and roll. For
  x, y the depth is faded out towards the face outline, so the outline moves like the ring and no
  triangle folds at the face boundary.

The mouth interior (dark cavity and upper teeth) is painted into the deformed inner-lip polygon.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from msi.regions import MP_EYES, MP_FACE_OVAL, MP_LIPS_INNER, MP_LIPS_OUTER, MP_MOUTH_CORNERS

# MediaPipe face-mesh contours (indices of the 478-point refined mesh), from msi.regions.
LIPS_OUTER = MP_LIPS_OUTER
# The inner lip ring runs corner 78 -> lower lip -> corner 308 -> upper lip: both lips from 78 to 308.
LIPS_INNER_LOWER = MP_LIPS_INNER[:11]
LIPS_INNER_UPPER = MP_LIPS_INNER[:1] + MP_LIPS_INNER[10:][::-1]
FACE_OVAL = MP_FACE_OVAL
MOUTH_CORNERS = MP_MOUTH_CORNERS
EYES = MP_EYES  # per eye: (corner, corner), upper lid, lower lid (corners excluded)

NEUTRAL_GAP = 0.03  # inner-lip gap of the closed mouth, in mouth widths (a dark line between the lips)


def _smoothstep(x: np.ndarray, a: float, b: float) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation matrix (radians) for image axes x right, y down, z away from the camera."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


@dataclass(frozen=True)
class RigConfig:
    jaw_drop: float = 0.45  # share of the opening carried by the jaw (whole lower face)
    lower_lip: float = 0.5  # extra parting of the lower lip, times f(u)
    upper_lip: float = 0.2  # upward parting of the upper lip, times f(u)
    max_opening: float = 0.42  # A at o = 1, in mouth widths
    spread: float = 0.12  # corner displacement at width = +-1, in mouth widths
    rounding: float = 0.12  # corner displacement inwards at rounding = 1, in mouth widths
    pout: float = 0.04  # rounded lips protrude: outer lip contour moves away from the midline
    lip_falloff: float = 0.5  # Gaussian radius of the lip weight outside the lips, in mouth widths
    shape_falloff: float = 0.35  # the same for width and rounding
    ring_scale: float = 1.45  # ring points at this multiple of the face-oval radius
    depth_fade: float = 0.2  # depth fades in over this distance inside the face outline (face widths)
    blink_close: float = 0.95  # share of the eye height closed at blink = 1
    lid_falloff: float = 0.8  # Gaussian radius of the lid skin above the eye, in eye heights


class FaceRig:
    """Deforms the photo's 478 landmarks (pixels, z in the same scale) into each frame's pose.

    ``points(opening, width, rounding, jitter_xy, pose)`` -> (N, 2) control points of the warp:
    the 478 mesh points, then the ring around the face, then the fixed image border.
    """

    def __init__(self, landmarks: np.ndarray, size: tuple[int, int], config: RigConfig = RigConfig()) -> None:
        self.cfg = config
        self.src = np.asarray(landmarks, dtype=np.float64)[:, :3]
        h, w = size
        self.size = (h, w)
        p = self.src
        self.mouth_width = float(np.linalg.norm(p[MOUTH_CORNERS[0], :2] - p[MOUTH_CORNERS[1], :2]))
        mw = self.mouth_width
        corners = p[list(MOUTH_CORNERS), :2]
        self.mouth_center = corners.mean(axis=0)
        # Inner-lip curves as functions of x: the midline between them splits upper / lower.
        up = p[list(LIPS_INNER_UPPER), :2]
        lo = p[list(LIPS_INNER_LOWER), :2]
        x = p[:, 0]
        up_y = np.interp(x, *up[np.argsort(up[:, 0])].T)
        lo_y = np.interp(x, *lo[np.argsort(lo[:, 0])].T)
        mid = 0.5 * (up_y + lo_y)
        gap = np.clip(lo_y - up_y, 0.0, None)
        self.u = (x - self.mouth_center[0]) / mw
        self.v = (p[:, 1] - mid) / mw
        self.lower = self.v > 0
        # Lip weight: 1 inside the outer lip contour, Gaussian outside.
        outer = p[list(LIPS_OUTER), :2].astype(np.float32)
        dist = np.array([-cv2.pointPolygonTest(outer, (float(a), float(b)), True) for a, b in p[:, :2]])
        dist = np.clip(dist, 0.0, None)
        self.lip_weight = np.exp(-0.5 * (dist / (config.lip_falloff * mw)) ** 2)
        self.lip_weight[dist <= 0] = 1.0
        # Width and rounding act on the lips only (a narrower fall-off keeps nose and cheeks still).
        self.shape_weight = np.exp(-0.5 * (dist / (config.shape_falloff * mw)) ** 2)
        self.profile = np.clip(1 - 4 * self.u**2, 0.0, 1.0) ** 0.6
        # Outer part of the lips: 0 at the inner contour, 1 at the outer contour and beyond (fading).
        self.outer_lip = np.clip(np.abs(self.v) / 0.12, 0.0, 1.0) * self.shape_weight
        # Jaw: lower face moves down, fading sideways (towards the ears) and above the midline.
        self.jaw_weight = np.exp(-0.5 * (self.u / 1.0) ** 2) * _smoothstep(self.v, -0.15, 0.15)
        # Close the photo's mouth: each lip moves half the gap (minus the neutral gap) to the midline.
        close = 0.5 * np.clip(gap - NEUTRAL_GAP * mw, 0.0, None)
        sign = np.where(self.lower, -1.0, 1.0)
        self.neutral = p.copy()
        self.neutral[:, 1] += sign * close * self.lip_weight
        # Ring around the face (follows the head) and the fixed border.
        oval = p[list(FACE_OVAL), :2]
        self.face_center = oval.mean(axis=0)
        self.pivot = np.array([*self.face_center, float(p[:, 2].mean())])
        self.ring = self.face_center + config.ring_scale * (oval - self.face_center)
        # Depth counts fully inside the face and fades to zero at its outline, so the outline turns
        # like the ring around it (2D) and its edge-on triangles never fold under rotation.
        oval32 = oval.astype(np.float32)
        inside = np.array([cv2.pointPolygonTest(oval32, (float(a), float(b)), True) for a, b in p[:, :2]])
        face_w = float(np.ptp(oval[:, 0]))
        self.depth_weight = _smoothstep(inside, 0.0, config.depth_fade * face_w)
        self.blink_shift = self._blink_field(p, config)
        n = 8
        t = np.linspace(0, 1, n, endpoint=False)
        W, H = w - 1.0, h - 1.0
        self.border = np.concatenate([
            np.stack([t * W, 0 * t], 1), np.stack([W + 0 * t, t * H], 1),
            np.stack([W - t * W, H + 0 * t], 1), np.stack([0 * t, H - t * H], 1),
        ])
        self.n_mesh = len(p)

    @staticmethod
    def _blink_field(p: np.ndarray, config: RigConfig) -> np.ndarray:
        """Downward shift (478,) of every point at blink = 1."""
        shift = np.zeros(len(p))
        for corners, upper, lower in EYES:
            c = p[list(corners), :2]
            x0, x1 = sorted(c[:, 0])
            up = np.concatenate([c, p[list(upper), :2]])
            lo = np.concatenate([c, p[list(lower), :2]])
            x = p[:, 0]
            y_up = np.interp(x, *up[np.argsort(up[:, 0])].T)
            y_lo = np.interp(x, *lo[np.argsort(lo[:, 0])].T)
            height = max(float(np.max(y_lo - y_up)), 1e-6)
            across = np.clip(1 - ((x - 0.5 * (x0 + x1)) / (0.5 * (x1 - x0))) ** 4, 0.0, 1.0)  # flat: the lid closes along the eye
            closing = config.blink_close * (y_lo - y_up) * np.sqrt(across)  # the upper lid's travel
            y = p[:, 1]
            between = (y >= y_up) & (y <= y_lo)
            # Between the lids: squeezed towards the lower lid (order kept, nothing folds).
            f = np.where(between, config.blink_close * (y_lo - y) * np.sqrt(across), 0.0)
            # Above: the lid skin follows the lid, fading upwards.
            above = (y < y_up) & (across > 0)
            f = np.where(above, closing * np.exp(-0.5 * ((y_up - y) / (config.lid_falloff * height)) ** 2), f)
            shift = np.maximum(shift, f)
        return shift

    def mesh(self, opening: float, width: float, rounding: float, jitter_xy: Sequence[float] = (0.0, 0.0),
             pose: Sequence[float] | None = None, blink: float = 0.0) -> np.ndarray:
        """Deformed mesh (478, 3): mouth articulation, lip jitter, blink, then head pose."""
        c, mw = self.cfg, self.mouth_width
        q = self.neutral.copy()
        q[:, 1] += float(blink) * self.blink_shift
        A = c.max_opening * mw * float(opening)
        lip = c.lower_lip * self.profile * self.lip_weight
        upl = c.upper_lip * self.profile * self.lip_weight
        q[:, 1] += A * (c.jaw_drop * self.jaw_weight + np.where(self.lower, lip, -upl))
        corner_shift = (c.spread * float(width) - c.rounding * float(rounding)) * mw
        q[:, 0] += corner_shift * np.clip(2 * self.u, -1.2, 1.2) * self.shape_weight
        # Pout: the lips thicken (move away from the mouth line) in the middle when rounded.
        q[:, 1] += c.pout * mw * float(rounding) * np.sign(self.v) * self.profile * self.outer_lip
        q[:, :2] += np.asarray(jitter_xy, dtype=np.float64) * self.lip_weight[:, None]
        if pose is not None:
            q = self._pose(q, pose)
        return q

    def _pose(self, q: np.ndarray, pose: Sequence[float]) -> np.ndarray:
        yaw, pitch, roll, tx, ty = pose
        R = _rotation(yaw, pitch, roll)
        rel = q - self.pivot
        out = rel @ R.T + self.pivot  # z of the true rotation, for the ground truth
        rel[:, 2] *= self.depth_weight
        out[:, :2] = (rel @ R.T)[:, :2] + self.pivot[:2] + (tx, ty)
        return out

    def ring_points(self, pose: Sequence[float] | None = None) -> np.ndarray:
        if pose is None:
            return self.ring
        yaw, pitch, roll, tx, ty = pose
        c, s = np.cos(roll), np.sin(roll)
        d = self.ring - self.face_center
        return self.face_center + d @ np.array([[c, s], [-s, c]]) + (tx, ty)

    def points(self, mesh: np.ndarray, pose: Sequence[float] | None = None) -> np.ndarray:
        """All warp control points (mesh, ring, border) for a deformed ``mesh``."""
        return np.concatenate([mesh[:, :2], self.ring_points(pose), self.border])

    def source_points(self) -> np.ndarray:
        return np.concatenate([self.src[:, :2], self.ring, self.border])

    def reference_points(self) -> np.ndarray:
        """Control points with the mouth wide open: the triangulation is made on these so that the
        mouth cavity gets its own triangles (between upper and lower inner lip)."""
        return self.points(self.mesh(1.0, 0.0, 0.0))


def triangulate(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles (F, 3) of 2D points, counter-clockwise in image coordinates (y down)."""
    from scipy.spatial import Delaunay

    tri = Delaunay(points).simplices.astype(np.int32)
    return orient(points, tri)


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = (points[triangles[:, k]] for k in range(3))
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


def orient(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    tri = triangles.copy()
    flip = signed_areas(points, tri) < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]
    return tri


class PiecewiseAffineWarp:
    """Warps an image so that source control points land on destination control points.

    Each destination triangle's pixels take their colour from the affine image of the same
    triangle in the source (inverse mapping, bilinear sampling with ``cv2.remap``). The
    triangle of every pixel is found by rasterising the destination triangles into a label map.
    """

    def __init__(self, src_points: np.ndarray, triangles: np.ndarray, size: tuple[int, int]) -> None:
        self.src = np.asarray(src_points, dtype=np.float64)
        self.tri = np.asarray(triangles, dtype=np.int32)
        self.size = size
        h, w = size
        self.grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), -1)

    def maps(self, dst_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(map_x, map_y) float32 (H, W): source coordinates of every destination pixel."""
        h, w = self.size
        dst = np.asarray(dst_points, dtype=np.float64)
        D = dst[self.tri]  # (F, 3, 2)
        S = self.src[self.tri]
        # Affine per triangle: S = [D 1] @ M, solved for all triangles at once.
        Dh = np.concatenate([D, np.ones((len(D), 3, 1))], axis=2)  # (F, 3, 3)
        det = np.linalg.det(Dh)
        ok = np.abs(det) > 1e-9
        M = np.zeros((len(D), 3, 2))
        M[:, :2, :] = np.eye(2)  # degenerate triangles cover no pixel; identity keeps them harmless
        M[ok] = np.linalg.solve(Dh[ok], S[ok])
        labels = np.full((h, w), -1, np.int32)
        fixed = np.round(D * 16).astype(np.int32)  # 4 fractional bits for sub-pixel rasterisation
        for i in np.flatnonzero(ok):
            cv2.fillConvexPoly(labels, fixed[i], int(i), lineType=cv2.LINE_8, shift=4)
        inside = labels >= 0
        lab = np.where(inside, labels, 0)
        Mp = M[lab]  # (H, W, 3, 2)
        x, y = self.grid[..., 0], self.grid[..., 1]
        mx = Mp[..., 0, 0] * x + Mp[..., 1, 0] * y + Mp[..., 2, 0]
        my = Mp[..., 0, 1] * x + Mp[..., 1, 1] * y + Mp[..., 2, 1]
        mx = np.where(inside, mx, x).astype(np.float32)  # uncovered (outside the border hull): identity
        my = np.where(inside, my, y).astype(np.float32)
        return mx, my

    def __call__(self, image: np.ndarray, dst_points: np.ndarray) -> np.ndarray:
        mx, my = self.maps(dst_points)
        return cv2.remap(image, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


@dataclass(frozen=True)
class MouthStyle:
    cavity: tuple[int, int, int] = (60, 22, 26)  # RGB of the mouth interior near the lips
    throat: tuple[int, int, int] = (18, 5, 7)  # darker centre of the cavity
    tongue: tuple[int, int, int] = (128, 52, 58)  # seen in the lower part of a wide-open mouth
    teeth: tuple[int, int, int] = (232, 226, 212)  # synthetic teeth (photos with a closed mouth)
    teeth_height: float = 0.12  # upper teeth visible below the upper lip, in mouth widths
    # Lower teeth visible above the lower lip (mouth widths, at most 30 % of the opening). Off by
    # default: MediaPipe then puts the inner lower lip on the teeth, and its lip opening agrees less
    # with the ground truth (correlation 0.93 -> 0.85 at 0.09 on a 4 s test clip).
    lower_teeth: float = 0.0
    lower_teeth_shade: float = 0.8  # lower teeth are in the upper lip's shadow
    photo_teeth_gap: float = 0.08  # the photo shows teeth if its inner-lip gap exceeds this (mouth widths)


class MouthPainter:
    """Paints the mouth interior into the deformed inner-lip polygon (anti-aliased).

    The upper teeth are attached to the skull: they follow the upper lip rigidly (rotation and
    translation of the inner upper-lip line), never stretch with the jaw. When the photo shows its
    teeth (open smile), their pixels are taken from the photo; otherwise a shaded ivory band is
    drawn. The lower teeth (a band above the lower lip, coloured like the upper ones, shaded) ride
    on the jaw. Behind them, a cavity darker towards its centre with the tongue near the lower lip.
    """

    def __init__(self, photo: np.ndarray, landmarks: np.ndarray, mouth_width: float,
                 style: MouthStyle = MouthStyle()) -> None:
        self.photo = photo
        self.style = style
        self.mw = mouth_width
        self.src_upper = np.asarray(landmarks, dtype=np.float64)[list(LIPS_INNER_UPPER), :2]
        gap = landmarks[list(LIPS_INNER_LOWER)[5], 1] - landmarks[list(LIPS_INNER_UPPER)[5], 1]
        self.photo_teeth = gap > style.photo_teeth_gap * mouth_width
        self.teeth_h = style.teeth_height * mouth_width
        if self.photo_teeth:  # never show more than the photo's own teeth
            self.teeth_h = min(self.teeth_h, gap)
        h, w = photo.shape[:2]
        self.yy, self.xx = np.mgrid[0:h, 0:w].astype(np.float32)
        self.teeth_colour = np.asarray(style.teeth, np.float32)
        if self.photo_teeth:  # the lower teeth take the colour of the photo's upper teeth
            band = np.zeros((h, w), np.uint8)
            poly = np.concatenate([self.src_upper, self.src_upper[::-1] + (0.0, self.teeth_h)])
            cv2.fillPoly(band, [np.round(poly).astype(np.int32)], 1)
            if band.any():  # the brighter half of the band: teeth, not gums or lip edge
                px = photo[band > 0].astype(np.float32)
                lum = px.mean(1)
                self.teeth_colour = px[lum >= np.median(lum)].mean(0)

    def _teeth_image(self, upper: np.ndarray) -> np.ndarray:
        """The photo moved rigidly so its inner upper lip lies on the frame's (its teeth below it)."""
        a, b = self.src_upper[[0, -1]], upper[[0, -1]]
        ang = np.arctan2(*(b[1] - b[0])[::-1]) - np.arctan2(*(a[1] - a[0])[::-1])
        c, s = np.cos(ang), np.sin(ang)
        R = np.array([[c, -s], [s, c]])
        t = upper.mean(0) - R @ self.src_upper.mean(0)
        M = np.concatenate([R, t[:, None]], axis=1)
        h, w = self.photo.shape[:2]
        moved = cv2.warpAffine(self.photo, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return moved.astype(np.float32)

    def __call__(self, image: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """``image`` (H, W, 3) uint8 with the mouth interior painted in (a new array; ``image``
        itself when the mouth is closed to nothing)."""
        st, mw = self.style, self.mw
        h, w = image.shape[:2]
        ss = 4  # supersampled masks: soft edges even at 64 px
        upper = mesh[list(LIPS_INNER_UPPER), :2]
        lower = mesh[list(LIPS_INNER_LOWER), :2]
        poly = np.concatenate([lower, upper[::-1][1:-1]])
        teeth_poly = np.concatenate([upper, upper[::-1] + (0.0, self.teeth_h)])
        gap = float(lower[5, 1] - upper[5, 1])
        low_h = min(st.lower_teeth * mw, 0.3 * max(gap, 0.0))
        # Lower teeth show in the middle of the mouth only (the band tapers to nothing at the corners).
        u = (lower[:, 0] - lower[:, 0].mean()) / max(float(np.ptp(lower[:, 0])), 1e-6)
        taper = np.sqrt(np.clip(1 - (2.2 * u) ** 2, 0.0, 1.0))
        low_poly = np.concatenate([lower, (lower - np.outer(low_h * taper, (0.0, 1.0)))[::-1]])
        # Every pixel outside the three polygons keeps the image's value, so only the box around them
        # is computed (a tenth of the frame's pixels or less): 2 px of margin hold the anti-aliased
        # edges, and the box starts on a whole pixel, so its supersampled masks are the frame's, cut.
        corners = np.concatenate([poly, teeth_poly, low_poly])
        x0, y0 = (max(int(np.floor(v)) - 2, 0) for v in corners.min(0))
        x1, y1 = min(int(np.ceil(corners[:, 0].max())) + 3, w), min(int(np.ceil(corners[:, 1].max())) + 3, h)
        if x0 >= x1 or y0 >= y1:
            return image
        bh, bw = y1 - y0, x1 - x0
        shift = np.array([x0, y0], np.int32) * (ss * 16)
        masks = []
        for pts in (poly, teeth_poly, low_poly):
            m = np.zeros((bh * ss, bw * ss), np.uint8)
            if pts is not low_poly or low_h > 0:
                cv2.fillPoly(m, [np.round(pts * ss * 16).astype(np.int32) - shift], 255, lineType=cv2.LINE_AA,
                             shift=4)
            masks.append(cv2.resize(m, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255.0)
        mask, teeth, low_teeth = masks
        if not mask.any():
            return image
        xx, yy = self.xx[y0:y1, x0:x1], self.yy[y0:y1, x0:x1]
        center = 0.5 * (upper.mean(0) + lower.mean(0))
        dx, dy = xx - center[0], yy - center[1]
        r = np.sqrt((dx / (0.35 * mw)) ** 2 + (dy / (0.2 * mw)) ** 2)
        shade = np.clip(r, 0.0, 1.0)[..., None]
        cavity = np.asarray(st.throat, np.float32) * (1 - shade) + np.asarray(st.cavity, np.float32) * shade
        low = np.interp(xx, lower[:, 0], lower[:, 1])  # lower inner lip at every column
        tongue = np.exp(-0.5 * ((low - yy) / (0.05 * mw)) ** 2) * np.clip(1 - np.abs(dx) / (0.4 * mw), 0, 1)
        tongue = tongue[..., None]
        cavity = cavity * (1 - 0.8 * tongue) + np.asarray(st.tongue, np.float32) * 0.8 * tongue
        # Teeth in the mouth's shadow towards the corners and their lower edge.
        side = np.clip(1.0 - 0.7 * np.abs(dx) / (0.5 * mw), 0.3, 1.0)[..., None]
        if self.photo_teeth:
            teeth_rgb = self._teeth_image(upper)[y0:y1, x0:x1] * np.clip(side + 0.3, 0.0, 1.0)
        else:
            teeth_rgb = np.asarray(st.teeth, np.float32) * side
        low_rgb = self.teeth_colour * st.lower_teeth_shade * side
        inner = cavity * (1 - low_teeth) + low_rgb * low_teeth
        inner = inner * (1 - teeth) + teeth_rgb * teeth
        box = image[y0:y1, x0:x1].astype(np.float32) * (1 - mask) + inner * mask
        out = image.copy()
        out[y0:y1, x0:x1] = np.clip(box + 0.5, 0, 255).astype(np.uint8)
        return out
