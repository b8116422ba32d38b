"""Temporal smoothing (paper Table I, Fig. 9): parameter count, weight normalisation, invariants."""
import pytest
import torch

from generator.config import SmoothingConfig
from generator.models.smoothing import apply_weights, build_smoothing

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
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_fixed_has_no_parameters_and_none_builds_nothing():
    assert n_params(build_smoothing(53, SmoothingConfig(mode="fixed"))) == 0
    assert n_params(build_smoothing(53, SmoothingConfig(mode="global"))) == 5
    assert build_smoothing(53, SmoothingConfig(mode="none")) is None
    with pytest.raises(ValueError):
        build_smoothing(53, SmoothingConfig(mode="median"))
