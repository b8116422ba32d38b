"""Augmented erosion: only pixels near the mouth change, the mask really is randomised."""
import math

import torch

from generator.config import ErosionConfig
from generator.models.erosion import affine_about_centroid, augment_mask, erase, morph

torch.set_num_threads(1)
S = 64


def mouth_box_mask(n):
    m = torch.zeros(n, 1, S, S)
    m[:, :, 40:48, 24:40] = 1  # a mouth-sized box in the lower middle
    return m


def test_erosion_changes_only_pixels_near_the_mouth():
    cfg = ErosionConfig(max_morph=3, max_shift=0.05, max_rotation=10.0)
    g = torch.Generator().manual_seed(0)
    frames = torch.rand(16, 3, S, S) * 2 - 1
    mask = augment_mask(mouth_box_mask(16), cfg, g)
    out = erase(frames, mask)
    changed = (out != frames).any(1)  # (N, H, W)
    # bound: box grown by morph radius + shift + rotation of the box corners about its centre
    half_diag = math.hypot(4 + 3, 8 + 3)
    margin = 3 + cfg.max_shift * S + half_diag * (1 - math.cos(math.radians(10))) + half_diag * math.sin(math.radians(10)) + 1
    ys, xs = torch.meshgrid(torch.arange(S), torch.arange(S), indexing="ij")
    near = (ys >= 40 - margin) & (ys < 48 + margin) & (xs >= 24 - margin) & (xs < 40 + margin)
    assert changed.any()
    assert not (changed & ~near).any()
    # every augmented mask still overlaps the mouth
    assert (mask[:, 0, 40:48, 24:40].sum((1, 2)) > 0).all()


def test_masks_are_randomised_per_sample():
    cfg = ErosionConfig()
    g = torch.Generator().manual_seed(1)
    mask = augment_mask(mouth_box_mask(8), cfg, g)
    areas = mask.sum((1, 2, 3))
    assert len(set(areas.tolist())) > 2
    centroids = [(m[0].nonzero().float().mean(0)).tolist() for m in mask]
    assert len({tuple(round(c, 1) for c in xy) for xy in centroids}) > 2


def test_morph_and_identity_transform():
    m = mouth_box_mask(1)
    assert morph(m, 2).sum() == (8 + 4) * (16 + 4)
    assert morph(m, -2).sum() == (8 - 4) * (16 - 4)
    same = affine_about_centroid(m, torch.zeros(1, 2), torch.zeros(1))
    torch.testing.assert_close(same, m)
    # 90 degrees about the centroid turns the 8 x 16 box into a 16 x 8 box
    rot = affine_about_centroid(m, torch.zeros(1, 2), torch.tensor([math.pi / 2]))
    rows, cols = rot[0, 0].nonzero().unbind(1)
    assert abs((rows.max() - rows.min() + 1).item() - 16) <= 1
    assert abs((cols.max() - cols.min() + 1).item() - 8) <= 1


def test_clip_region_is_the_grown_union_of_every_frames_mask():
    from generator.models.erosion import clip_region

    masks = torch.zeros(3, S, S, dtype=torch.uint8)
    masks[0, 40:44, 24:30] = 1
    masks[1, 42:48, 30:40] = 1  # another frame: the mouth elsewhere
    region = clip_region(masks, dilate=2)
    assert region.shape == (1, 1, S, S)
    for m in masks:  # every frame's mask is inside the one region
        assert (region[0, 0][m.bool()] == 1).all()
    assert torch.equal(region, morph((masks.sum(0) > 0).float()[None, None], 2))
    assert region.sum() > (masks.sum(0) > 0).sum() + 2 * 20
