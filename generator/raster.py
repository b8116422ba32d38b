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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from generator.topology import MOUTH_OPENING, MOUTH_TRIANGLES, TRIANGLES


@dataclass(frozen=True)
class Shading:
    """Light of the shape render: a frontal light slightly from above, as in DECA's renders."""

    light: tuple[float, float, float] = (0.0, -0.35, -1.0)  # toward the light; y up is -y
    ambient: float = 0.25
    diffuse: float = 0.75


def render_shape(vertices: Any, size: int, shading: Shading = Shading(), chunk: int = 16) -> Any:
    """Grey Lambertian render of meshes (B, 478, 3) in pixels of a ``size`` square -> (B, 1, S, S).

    Values in [0, 1], background 0; covered pixels are >= ``shading.ambient`` (> 0), so
    ``image > 0`` is the silhouette. Meshes with NaN vertices draw only their finite
    triangles. ``chunk`` meshes are rasterised at a time to bound memory.
    """
    v, to_numpy = _as_tensor(vertices)
    tri = torch.as_tensor(TRIANGLES, device=v.device)
    b = v.shape[0]
    with torch.no_grad():
        face = torch.cat([_visible_triangle(v[i : i + chunk].detach(), tri, size) for i in range(0, b, chunk)])
    pid = torch.nonzero(face >= 0).squeeze(1)  # covered pixels, flat over (B, S, S)
    bi, rem = pid // (size * size), pid % (size * size)
    f = face[pid]
    centre = torch.stack([(rem % size).to(v.dtype) + 0.5, (rem // size).to(v.dtype) + 0.5], dim=1)
    corners = v[bi[:, None], tri[f]]  # (P, 3, 3) with grad
    bary = _barycentric(corners[..., :2], centre)  # (P, 3)
    normals = _vertex_normals(torch.nan_to_num(v), tri)[bi[:, None], tri[f]]  # (P, 3, 3)
    n = torch.nn.functional.normalize((bary[..., None] * normals).sum(dim=1), dim=1, eps=1e-12)
    light = torch.nn.functional.normalize(torch.tensor(shading.light, dtype=v.dtype, device=v.device), dim=0)
    shade = shading.ambient + shading.diffuse * (n @ light).clamp(min=0.0)
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
        mask = torch.cat([_visible_triangle(verts[i : i + 16], tri, size) >= 0 for i in range(0, len(v), 16)])
        mask = mask.reshape(len(v), size, size)
        if dilate > 0:
            k = 2 * int(dilate) + 1
            mask = torch.nn.functional.max_pool2d(mask[:, None].float(), k, stride=1, padding=int(dilate))[:, 0] > 0
    return mask.numpy() if to_numpy else mask


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


def _barycentric(tri_xy: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """Barycentric weights of points ``p`` (..., 2) in triangles ``tri_xy`` (..., 3, 2)."""
    a, b, c = tri_xy.unbind(-2)

    def edge(u: torch.Tensor, w: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return (w[..., 0] - u[..., 0]) * (q[..., 1] - u[..., 1]) - (w[..., 1] - u[..., 1]) * (q[..., 0] - u[..., 0])

    area = edge(a, b, c)
    w = torch.stack([edge(b, c, p), edge(c, a, p), edge(a, b, p)], dim=-1)
    return w / area[..., None]


def _vertex_normals(v: torch.Tensor, tri: torch.Tensor) -> torch.Tensor:
    """Area-weighted vertex normals (B, V, 3); vertices in no triangle get a zero normal."""
    corners = v[:, tri]  # (B, F, 3, 3)
    fn = torch.linalg.cross(corners[:, :, 1] - corners[:, :, 0], corners[:, :, 2] - corners[:, :, 0], dim=-1)
    out = torch.zeros_like(v).index_add(1, tri.reshape(-1), fn.repeat_interleave(3, dim=1))
    return torch.nn.functional.normalize(out, dim=-1, eps=1e-12)


def _visible_triangle(v: torch.Tensor, tri: torch.Tensor, size: int) -> torch.Tensor:
    """Z-buffer: index of the triangle seen at each pixel, -1 for background; flat (B*S*S,)."""
    b, f = v.shape[0], tri.shape[0]
    corners = v[:, tri].reshape(b * f, 3, 3)
    finite = torch.isfinite(corners).all(dim=(1, 2))
    xy = torch.nan_to_num(corners[..., :2])
    # Pixel columns whose centre (col + 0.5) can fall inside the triangle's bounding box.
    lo = torch.ceil(xy.amin(dim=1) - 0.5).clamp(0, size - 1).long()
    hi = torch.floor(xy.amax(dim=1) - 0.5).clamp(-1, size - 1).long()
    wh = (hi - lo + 1).clamp(min=0) * finite[:, None]
    count = wh[:, 0] * wh[:, 1]
    owner = torch.repeat_interleave(torch.arange(b * f, device=v.device), count)  # (pairs,)
    k = torch.arange(owner.numel(), device=v.device) - torch.repeat_interleave(torch.cumsum(count, 0) - count, count)
    w = wh[owner, 0]
    px, py = lo[owner, 0] + k % w, lo[owner, 1] + k // w
    bary = _barycentric(xy[owner], torch.stack([px.to(v.dtype) + 0.5, py.to(v.dtype) + 0.5], dim=1))
    # Normalised weights are all >= 0 inside, whatever the winding; NaN for zero-area triangles.
    inside = (bary >= 0).all(dim=1) & torch.isfinite(bary).all(dim=1)
    owner, px, py, bary = owner[inside], px[inside], py[inside], bary[inside]
    depth = (bary * corners[owner, :, 2]).sum(dim=1)
    pix = (owner // f) * size * size + py * size + px
    zbuf = torch.full((b * size * size,), float("inf"), dtype=v.dtype, device=v.device).scatter_reduce(0, pix, depth, "amin")
    front = depth <= zbuf[pix]
    face = torch.full((b * size * size,), f, dtype=torch.long, device=v.device)
    face = face.scatter_reduce(0, pix[front], (owner[front] % f), "amin")
    return torch.where(face == f, -1, face)
