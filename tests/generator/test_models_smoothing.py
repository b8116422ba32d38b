"""Temporal smoothing (paper Table I, Fig. 9): parameter count, weight normalisation, invariants."""
import pytest
import torch

from generator.config import SmoothingConfig
from generator.models.smoothing import adaptation, apply_weights, build_smoothing, gaussian_kernel, local_speed

torch.set_num_threads(1)


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def test_adaptive_has_about_11k_parameters_as_in_the_paper():
    m = build_smoothing(53, SmoothingConfig(mode="adaptive", k=5))
    # Table I: 53 -> 32 -> 32 -> 16 -> 16 -> K, kernel 3, BN after the first four convolutions
    expected = (53 * 32 * 3 + 32 + 64) + (32 * 32 * 3 + 32 + 64) + (32 * 16 * 3 + 16 + 32) \
        + (16 * 16 * 3 + 16 + 32) + (16 * 5 * 3 + 5)
    assert n_params(m) == expected
    assert 10_500 < n_params(m) < 11_500


@pytest.mark.parametrize("mode", ["adaptive", "global", "fixed"])
def test_weights_sum_to_one_and_constant_sequence_is_unchanged(mode):
    torch.manual_seed(0)
    m = build_smoothing(53, SmoothingConfig(mode=mode, k=5)).train()
    exp = torch.randn(3, 12, 53)
    w = m.weights(exp)
    assert w.shape == (3, 12, 5)
    assert torch.all(w >= 0)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 12))
    const = torch.randn(3, 1, 478, 3).expand(3, 12, 478, 3).contiguous()
    torch.testing.assert_close(m(const, exp), const, atol=1e-5, rtol=1e-5)


def test_apply_weights_matches_the_paper_formula():
    torch.manual_seed(1)
    t, k = 9, 5
    shapes = torch.randn(1, t, 478, 3)
    w = torch.softmax(torch.randn(1, t, k), -1)
    out = apply_weights(shapes, w)
    padded = torch.cat([shapes[:, :1]] * 2 + [shapes] + [shapes[:, -1:]] * 2, 1)
    for i in range(t):
        ref = sum(w[0, i, j] * padded[0, i + j] for j in range(k))  # s_(t+k-(K-1)/2), ends replicated
        torch.testing.assert_close(out[0, i], ref)


def test_smoothing_reduces_jitter_and_gets_gradients():
    torch.manual_seed(2)
    m = build_smoothing(53, SmoothingConfig(mode="adaptive"))
    base = torch.linspace(0, 1, 20)[None, :, None, None].expand(2, 20, 478, 3)
    noisy = base + 0.1 * torch.randn(2, 20, 478, 3)
    out = m(noisy, torch.randn(2, 20, 53))
    acc = lambda x: (x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]).abs().mean()
    assert acc(out) < 0.7 * acc(noisy)
    out.pow(2).mean().backward()
    # the last convolution starts at zero (the shared kernel on every frame): it gets gradients
    # first; once it has moved, every layer does
    last = m.weights.net[-2]
    assert last.weight.grad.abs().sum() > 0 and last.bias.grad.abs().sum() > 0
    torch.optim.SGD(m.parameters(), 0.1).step()
    m.zero_grad()
    m(noisy, torch.randn(2, 20, 53)).pow(2).mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_fixed_has_no_parameters_and_none_builds_nothing():
    assert n_params(build_smoothing(53, SmoothingConfig(mode="fixed"))) == 0
    assert n_params(build_smoothing(53, SmoothingConfig(mode="global"))) == 5
    assert build_smoothing(53, SmoothingConfig(mode="none")) is None
    with pytest.raises(ValueError):
        build_smoothing(53, SmoothingConfig(mode="median"))


@pytest.mark.parametrize("sigma", [1.0, 0.7])
def test_fixed_global_and_adaptive_start_from_the_same_kernel(sigma):
    """Fig. 9 compares what each variant learns, not where it starts."""
    torch.manual_seed(3)
    cfg = SmoothingConfig(k=5, sigma=sigma)
    g = gaussian_kernel(5, sigma)
    assert g.argmax() == 2 and torch.isclose(g.sum(), torch.tensor(1.0))
    exp = 3 * torch.randn(2, 16, 53)  # any input: adaptive starts input-independent
    for mode in ("fixed", "global", "adaptive"):
        for train in (True, False):
            m = build_smoothing(53, SmoothingConfig(mode=mode, k=5, sigma=sigma)).train(train)
            torch.testing.assert_close(m.weights(exp), g.expand(2, 16, 5), atol=1e-6, rtol=1e-5)
    assert cfg.sigma == sigma


def _toy_sequence(seed: int = 0, t: int = 96):
    """1-D 'expression' whose motion alternates: still with tracker noise, then fast and clean.
    Returns noisy input (1, T, 53), clean target (1, T, 53), and whether each frame is in a fast part."""
    g = torch.Generator().manual_seed(seed)
    fast = (torch.arange(t) // 12) % 2 == 1
    speed = torch.where(fast, 0.4, 0.0)
    clean = torch.cumsum(speed, 0)[:, None] * torch.linspace(0.5, 1.5, 53)[None]
    noisy = clean + torch.where(fast, 0.0, 0.15)[:, None] * torch.randn(t, 53, generator=g)
    return noisy[None], clean[None], fast


def _train_adaptive(lr: float, steps: int = 150):
    torch.manual_seed(0)
    m = build_smoothing(53, SmoothingConfig(mode="adaptive"))
    opt = torch.optim.Adam(m.parameters(), lr)
    noisy, clean, fast = _toy_sequence()
    for _ in range(steps):
        loss = (m(noisy, noisy) - clean).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    with torch.no_grad():
        w = m.weights(noisy)[0]
    return w, adaptation(w, noisy[0]), fast


def test_adaptive_weights_adapt_to_motion_at_the_small_configs_rate():
    """Smoothing helps where the face is still (noise) and hurts where it moves fast: trained at the
    tiny config's smoothing rate, the centre weight varies per frame and rises with the speed."""
    from generator.config import tiny

    w, stats, fast = _train_adaptive(tiny().train.lr_smoothing)
    torch.testing.assert_close(w.sum(-1), torch.ones(len(w)), atol=1e-5, rtol=0)
    assert stats["centre_spread"] > 0.05
    assert stats["corr_centre_speed"] > 0.4
    assert w[fast, 2].mean() > w[~fast, 2].mean() + 0.1


def test_the_papers_smoothing_rate_barely_moves_the_weights():
    """lr 1e-6 (paper) moves each parameter by ~1e-6 per Adam step: at our scale the weights stay put."""
    from generator.config import paper

    w, stats, _ = _train_adaptive(paper().train.lr_smoothing)
    assert stats["centre_spread"] < 1e-3
    torch.testing.assert_close(w, gaussian_kernel(5, 1.0).expand_as(w), atol=2e-3, rtol=0)


def test_adaptation_statistics():
    t = 40
    exp = torch.cumsum(torch.linspace(0, 1, t)[:, None].expand(t, 3), 0)  # accelerating
    v = local_speed(exp)
    assert v.shape == (t,) and torch.all(v[1:] >= v[:-1] - 1e-9)
    w = torch.softmax(torch.stack([torch.zeros(t), torch.zeros(t), v, torch.zeros(t), torch.zeros(t)], 1), 1)
    s = adaptation(w, exp)
    assert s["corr_centre_speed"] > 0.9 and s["centre_spread"] > 0
    flat = adaptation(gaussian_kernel(5, 1.0).expand(t, 5), exp)
    assert flat["centre_spread"] == 0 and flat["weight_spread"] == 0
