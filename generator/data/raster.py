"""Face-shape images and mouth masks rasterised from the 478-point face mesh.

The StableFace renderer (Ling et al., arXiv:2208.13717, Sec. III-A, Fig. 2) is conditioned
on DECA's shape render: the 3D face drawn in grey with Lambertian shading. This module draws
the MediaPipe mesh (``topology.TRIANGLES``) the same way, orthographically in crop pixels:

    I(p) = ambient + diffuse * max(0, <n(p), l>)    on pixels covered by the mesh, 0 elsewhere,

with ``n(p)`` the barycentric interpolation of area-weighted vertex normals at the pixel
centre (x = col + 0.5, y = row + 0.5), normalised, ``l`` a unit light direction (toward the
light; image axes: x right, y down, z away from the camera), and the visible triangle at
each pixel chosen by a z-buffer (smallest z wins, ties to the lower triangle index).

Vectorised in torch without per-pixel Python loops: every (triangle, pixel in its bounding
box) pair is generated at once, tested with edge functions, and reduced per pixel with
``scatter_reduce``. Visibility is computed without gradients; barycentric weights, normals
and shading are recomputed with gradients, so the image is differentiable w.r.t. the vertex
positions (not across silhouette edges). numpy in -> numpy out.

Speed (``benchmarks/bench_raster.py``, CPU time of one thread): ~240 renders/s of 256 x 256
(~175/s with the backward pass), 15x a per-triangle loop. The ops are small, so extra torch
threads do not help; on a busy shared machine they made it 15x slower: prefer
``torch.set_num_threads(1)`` there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from generator.data.topology import LIPS, MOUTH_OPENING, MOUTH_TRIANGLES, TRIANGLES


@dataclass(frozen=True)
class Shading:
    """Light of the shape render: a frontal light slightly from above, as in DECA's renders."""

    light: tuple[float, float, float] = (0.0, -0.35, -1.0)  # toward the light; y up is -y
    ambient: float = 0.25
    diffuse: float = 0.75


def render_shape(vertices: Any, size: int, shading: Shading = Shading(), chunk: int = 4) -> Any:
    """Grey Lambertian render of meshes (B, 478, 3) in pixels of a ``size`` square -> (B, 1, S, S).

    Values in [0, 1], background 0; covered pixels are >= ``shading.ambient`` (> 0), so
    ``image > 0`` is the silhouette. Meshes with NaN vertices draw only their finite
    triangles. ``chunk`` meshes are z-buffered at a time (4: the pair tables stay in cache).
    """
    v, to_numpy = _as_tensor(vertices)
    tri = torch.as_tensor(TRIANGLES, device=v.device)
    b, f = v.shape[0], tri.shape[0]
    with torch.no_grad():
        face = torch.cat([_visible_triangle(v[i : i + chunk].detach(), tri, size) for i in range(0, b, chunk)])
    pid = torch.nonzero(face >= 0).squeeze(1)  # covered pixels, flat over (B, S, S)
    owner = (pid // (size * size)) * f + face.index_select(0, pid)  # flat (mesh, triangle) index
    x = (pid % size).to(v.dtype) + 0.5
    y = ((pid // size) % size).to(v.dtype) + 0.5
    # Barycentric weights are affine in (x, y) on a triangle, so the interpolated normal is too:
    # N(p) = Nx x + Ny y + N0 per triangle, computed with gradients, then looked up per pixel.
    planes = _bary_planes(torch.nan_to_num(v), tri)  # (B, F, 3 [a, b, c], 3 corners)
    normals = _vertex_normals(torch.nan_to_num(v), tri)[:, tri]  # (B, F, 3 corners, 3 xyz)
    nplane = (planes @ normals).reshape(b * f, 9).T.index_select(1, owner)  # (9 [a xyz, b xyz, c xyz], P)
    n = torch.addcmul(torch.addcmul(nplane[6:9], nplane[0:3], x), nplane[3:6], y)  # (3, P), unnormalised
    light = torch.nn.functional.normalize(torch.tensor(shading.light, dtype=v.dtype, device=v.device), dim=0)
    norm = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt().clamp(min=1e-12)  # faster than norm(dim=0)
    cos = (light[0] * n[0] + light[1] * n[1] + light[2] * n[2]) / norm
    shade = shading.ambient + shading.diffuse * cos.clamp(min=0.0)
    image = torch.zeros(b * size * size, dtype=v.dtype, device=v.device).index_put((pid,), shade)
    image = image.reshape(b, 1, size, size)
    return image.numpy() if to_numpy else image


def mouth_mask(vertices: Any, size: int, dilate: int = 0) -> Any:
    """Lower-face mouth region of meshes (B, 478, 3) as a (B, S, S) bool mask.

    The region is the mesh triangles of ``topology.MOUTH_REGION`` (lips, chin, cheeks beside
    the mouth) plus the mouth opening (a fan to the opening's centroid), so an open mouth is
    inside the mask. ``dilate`` grows it by that many pixels (square structuring element).
    """
    v, to_numpy = _as_tensor(vertices)
    with torch.no_grad():
        v = v.detach()
        centroid = v[:, torch.as_tensor(MOUTH_OPENING, device=v.device)].mean(dim=1, keepdim=True)
        verts = torch.cat([v, centroid], dim=1)
        c = verts.shape[1] - 1
        loop = torch.as_tensor(MOUTH_OPENING, device=v.device)
        fan = torch.stack([loop, loop.roll(-1), torch.full_like(loop, c)], dim=1)
        tri = torch.cat([torch.as_tensor(MOUTH_TRIANGLES, device=v.device), fan])
        mask = torch.cat([_visible_triangle(verts[i : i + 4], tri, size) >= 0 for i in range(0, len(v), 4)])
        mask = mask.reshape(len(v), size, size)
        if dilate > 0:
            k = 2 * int(dilate) + 1
            mask = torch.nn.functional.max_pool2d(mask[:, None].float(), k, stride=1, padding=int(dilate))[:, 0] > 0
    return mask.numpy() if to_numpy else mask


def mouth_coverage(vertices: Any, size: int, samples: int = 4) -> Any:
    """(B, S, S) in [0, 1]: the fraction of each pixel inside the mouth opening (the inner-lip loop
    ``topology.MOUTH_OPENING`` in the image plane), from ``samples`` x ``samples`` points per pixel.

    At 64 px a mouth is ~16 px wide and opens 1-2 px: a raster at pixel centres (``render_shape``)
    draws the gap as 0, 1 or 2 rows. The coverage keeps its opening to a fraction of a pixel
    (``RendererConfig.mouth_channel``). Even-odd rule; no gradient.
    """
    v, to_numpy = _as_tensor(vertices)
    with torch.no_grad():
        poly = torch.nan_to_num(v.detach()[:, torch.as_tensor(MOUTH_OPENING, device=v.device), :2], nan=-1.0)
        cov = torch.zeros(len(v), size, size, dtype=v.dtype, device=v.device)
        if len(v) == 0:
            return cov.numpy() if to_numpy else cov
        # Only the pixels of the polygons' bounding box (+1 px) can be inside: the same values as the
        # whole frame, for a few percent of the work (it runs on every training step).
        lo = (poly.flatten(0, 1).amin(0).floor() - 1).clamp(0, size).long().tolist()
        hi = (poly.flatten(0, 1).amax(0).ceil() + 2).clamp(0, size).long().tolist()
        (c0, r0), (c1, r1) = lo, hi
        if c1 <= c0 or r1 <= r0:
            return cov.numpy() if to_numpy else cov
        sub = (torch.arange(samples, device=v.device, dtype=v.dtype) + 0.5) / samples
        grid = lambda a, b: (torch.arange(a, b, device=v.device, dtype=v.dtype)[:, None] + sub[None]).flatten()  # noqa: E731
        x, y = grid(c0, c1)[None, None, :], grid(r0, r1)[None, :, None]
        inside = torch.zeros(len(v), y.shape[1], x.shape[2], dtype=torch.bool, device=v.device)
        for a, b in zip(poly.unbind(1), poly.roll(-1, dims=1).unbind(1)):  # edges (B, 2) -> (B, 2)
            xa, ya, xb, yb = (t[:, None, None] for t in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
            crosses = (ya > y) != (yb > y)
            x_at = xa + (y - ya) * (xb - xa) / torch.where(yb == ya, torch.ones_like(yb), yb - ya)
            inside ^= crosses & (x < x_at)
        cov[:, r0:r1, c0:c1] = torch.nn.functional.avg_pool2d(inside[:, None].to(v.dtype), samples)[:, 0]
    return cov.numpy() if to_numpy else cov


def lip_box(vertices: Any, size: int, pad: int = 2) -> Any:
    """(B, S, S) bool: each mesh's lip points' bounding box (``topology.LIPS``, both lip rings),
    grown by ``pad`` pixels; pixel centres (col + 0.5, row + 0.5) inside count."""
    v, to_numpy = _as_tensor(vertices)
    with torch.no_grad():
        xy = v.detach()[:, torch.as_tensor(LIPS, device=v.device), :2]
        lo, hi = xy.amin(dim=1) - pad, xy.amax(dim=1) + pad  # (B, 2)
        c = torch.arange(size, device=v.device, dtype=v.dtype) + 0.5
        inx = (c[None] >= lo[:, :1]) & (c[None] <= hi[:, :1])  # (B, S) columns
        iny = (c[None] >= lo[:, 1:]) & (c[None] <= hi[:, 1:])  # (B, S) rows
        box = iny[:, :, None] & inx[:, None, :]
    return box.numpy() if to_numpy else box


def _as_tensor(vertices: Any) -> tuple[torch.Tensor, bool]:
    to_numpy = not torch.is_tensor(vertices)
    v = torch.as_tensor(np.asarray(vertices, np.float32)) if to_numpy else vertices
    if not v.is_floating_point():
        v = v.float()
    if v.ndim == 2:
        v = v[None]
    if v.ndim != 3 or v.shape[-1] != 3:
        raise ValueError(f"vertices must be (B, V, 3), got {tuple(v.shape)}")
    return v, to_numpy


def _bary_planes(v: torch.Tensor, tri: torch.Tensor) -> torch.Tensor:
    """Barycentric weights as affine functions of the pixel: w_i(x, y) = a_i x + b_i y + c_i.

    From the edge function of the edge opposite corner i, divided by the signed area (so
    the weights are >= 0 inside for either winding). Returns (B, F, 3 [a, b, c], 3 corners);
    inf / NaN for zero-area triangles.
    """
    corners = v[:, tri]  # (B, F, 3, 3)
    x, y = corners[..., 0], corners[..., 1]
    x1, y1 = x.roll(-1, dims=-1), y.roll(-1, dims=-1)  # corner i+1
    x2, y2 = x.roll(-2, dims=-1), y.roll(-2, dims=-1)  # corner i+2
    area = (x[..., 1] - x[..., 0]) * (y[..., 2] - y[..., 0]) - (y[..., 1] - y[..., 0]) * (x[..., 2] - x[..., 0])
    a = -(y2 - y1)
    b = x2 - x1
    c = (y2 - y1) * x1 - (x2 - x1) * y1
    return torch.stack([a, b, c], dim=-2) / area[..., None, None]


def _vertex_normals(v: torch.Tensor, tri: torch.Tensor) -> torch.Tensor:
    """Area-weighted vertex normals (B, V, 3); vertices in no triangle get a zero normal."""
    corners = v[:, tri]  # (B, F, 3, 3)
    fn = torch.linalg.cross(corners[:, :, 1] - corners[:, :, 0], corners[:, :, 2] - corners[:, :, 0], dim=-1)
    out = torch.zeros_like(v).index_add(1, tri.reshape(-1), fn.repeat_interleave(3, dim=1))
    return torch.nn.functional.normalize(out, dim=-1, eps=1e-12)


def _visible_triangle(v: torch.Tensor, tri: torch.Tensor, size: int) -> torch.Tensor:
    """Z-buffer: index of the triangle seen at each pixel, -1 for background; flat (B*S*S,)."""
    b, f = v.shape[0], tri.shape[0]
    dev = v.device
    corners = v[:, tri].reshape(b * f, 3, 3)
    planes = _bary_planes(v, tri).reshape(b * f, 3, 3)
    zplane = planes @ corners[:, :, 2:]  # depth is affine in (x, y) too: (BF, 3, 1)
    coef = torch.cat([planes, zplane], dim=2).reshape(b * f, 12)  # a0 a1 a2 az | b0 .. bz | c0 .. cz
    ok = torch.isfinite(coef).all(dim=1)  # NaN vertices and zero-area triangles draw nothing
    xy = torch.nan_to_num(corners[..., :2])
    # Pixel columns / rows whose centre (index + 0.5) can fall inside the triangle's bounding box.
    lo = torch.ceil(xy.amin(dim=1) - 0.5).clamp(0, size - 1)
    hi = torch.floor(xy.amax(dim=1) - 0.5).clamp(-1, size - 1)
    wh = ((hi - lo + 1).clamp(min=0) * ok[:, None]).long()
    count = wh[:, 0] * wh[:, 1]
    # One entry per (triangle, pixel of its box). Per-triangle values are looked up with
    # index_select from row-major tables (much faster than advanced indexing), and the pixel
    # coordinates are computed in float, exact for these small integers.
    owner = torch.repeat_interleave(count)
    k = (torch.arange(owner.numel(), device=dev) - (torch.cumsum(count, 0) - count).index_select(0, owner)).to(v.dtype)
    table = torch.cat([wh[:, :1].to(v.dtype), lo, coef], dim=1).T.contiguous()  # (15, BF)
    t = table.index_select(1, owner)  # (15, P)
    row = torch.floor((k + 0.5) / t[0])
    px = t[1] + (k - row * t[0]) + 0.5
    py = t[2] + row + 0.5
    val = torch.addcmul(torch.addcmul(t[11:15], t[3:7], px), t[7:11], py)  # a x + b y + c: (4, P)
    inside = torch.minimum(torch.minimum(val[0], val[1]), val[2]) >= 0
    depth = torch.where(inside, val[3], float("inf"))
    base = torch.arange(b, device=dev).repeat_interleave(f) * (size * size)  # first pixel of each mesh
    pix = base.index_select(0, owner) + py.long() * size + px.long()
    zbuf = torch.full((b * size * size,), float("inf"), dtype=v.dtype, device=dev)
    zbuf = zbuf.scatter_reduce(0, pix, depth, "amin")
    front = inside & (depth <= zbuf.index_select(0, pix))
    tid = torch.arange(f, device=dev).repeat(b)
    face = torch.full((b * size * size,), f, dtype=torch.long, device=dev)
    face = face.scatter_reduce(0, pix, torch.where(front, tid.index_select(0, owner), f), "amin")  # ties: lowest
    return torch.where(face == f, -1, face)
