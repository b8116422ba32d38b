"""Shapes and parameter counts of audio2expression, renderer (+ fusion, dependency), discriminator,
VGG19 and the losses."""
import pytest
import torch

from generator.config import paper, tiny
from generator.models.audio2expression import Audio2Expression
from generator.models.dependency import DependencyModeling
from generator.models.discriminator import PatchDiscriminator
from generator.models.fusion import AudioFusion
from generator.models.losses import gan_loss, perceptual, unbalanced_l1
from generator.models.renderer import Renderer
from generator.models.vgg import VGG19, load_vgg19

torch.set_num_threads(1)


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def test_audio2expression_shapes():
    cfg = tiny()
    m = Audio2Expression(cfg.a2e, cfg.train.a2e_frames)
    out = m(torch.randn(2, 7, 16, 80))
    assert out.shape == (2, 7, 53)
    assert m.pos.shape == (1, cfg.train.a2e_frames, cfg.a2e.d_model)  # one row per frame of its sequences
    m(torch.randn(1, cfg.train.a2e_frames, 16, 80))
    with pytest.raises(ValueError, match="longer than the 32"):
        m(torch.randn(1, cfg.train.a2e_frames + 1, 16, 80))


def test_per_frame_embeddings_draw_as_many_numbers_whatever_the_sequence_length():
    """The per-frame embeddings are sized by the training length, but their initialisation draws the
    rows of the fixed size they once had (INIT_ROWS) and keeps the first: the random stream, and so
    every module built after them, does not depend on the length (a seed trains the runs it trained)."""
    from generator.models import audio2expression, dependency

    cfg = tiny()
    for build, rows, embedding in ((lambda n: Audio2Expression(cfg.a2e, n), audio2expression.INIT_ROWS, "pos"),
                                   (lambda n: DependencyModeling(32, 16, cfg.dependency, n), dependency.INIT_ROWS, "time")):
        made = {}
        for n in (5, rows, rows + 3):
            torch.manual_seed(3)
            made[n] = (build(n).state_dict(), torch.rand(4))
        short, full, longer = made[5], made[rows], made[rows + 3]
        assert short[0][embedding].shape[1] == 5 and longer[0][embedding].shape[1] == rows + 3
        assert torch.equal(short[0][embedding], full[0][embedding][:, :5])
        assert torch.equal(short[1], full[1])  # the stream after it: as far along
        assert not torch.equal(longer[1], full[1])  # (it can tell: more rows than INIT_ROWS draw more)
        for k in full[0]:
            if k != embedding:
                assert torch.equal(short[0][k], full[0][k]), k


def test_audio2expression_attends_over_time():
    # a change in frame 0's audio must change the prediction of another frame (encoder over T)
    torch.manual_seed(0)
    m = Audio2Expression(tiny().a2e, 6).eval()
    a = torch.randn(1, 6, 16, 80)
    b = a.clone()
    b[:, 0] += 1.0
    assert not torch.allclose(m(a)[:, 5], m(b)[:, 5])


def test_renderer_shapes_and_paper_layout():
    cfg = tiny()
    r = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency, cfg.train.seq_len)
    c = cfg.renderer.in_channels  # eroded RGB + face shape + the mouth channel in tiny()
    out = r(torch.randn(2, 3, c, 64, 64), torch.randn(2, 3, 16, 80))
    assert out.shape == (2, 3, 3, 64, 64)
    assert out.abs().max() <= 1
    p = paper()
    big = Renderer(p.renderer, 256, p.fusion, p.dependency, p.train.seq_len)
    convs = [m for m in big.encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size[0], c.stride[0]) for c in convs] == [(7, 1), (4, 2), (4, 2)]
    assert len(big.body) == 8
    ups = [m for m in big.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.kernel_size[0], c.stride[0]) for c in ups] == [(4, 2), (4, 2)]
    assert isinstance(big.decoder[-1], torch.nn.Tanh)


def test_renderer_without_fusion_ignores_audio_and_with_fusion_uses_it():
    torch.manual_seed(0)
    cfg = tiny()
    x = torch.randn(1, 2, cfg.renderer.in_channels, 64, 64)
    a1, a2 = torch.randn(1, 2, 16, 80), torch.randn(1, 2, 16, 80)
    with_f = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency, cfg.train.seq_len).eval()
    assert not torch.allclose(with_f(x, a1), with_f(x, a2))
    cfg.fusion.enabled = False
    no_f = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency, cfg.train.seq_len).eval()
    torch.testing.assert_close(no_f(x, a1), no_f(x, a2))
    assert no_f.fusion is None


def test_dependency_mixes_frames_and_patches():
    torch.manual_seed(0)
    cfg = tiny().dependency
    m = DependencyModeling(32, 16, cfg, 3)
    torch.nn.init.normal_(m.unembed.weight, std=0.02)  # leave the identity start
    x = torch.randn(2 * 3, 32, 16, 16)
    y = m(x, 3)
    assert y.shape == x.shape
    x2 = x.clone()
    x2[0, :, :4, :4] += 1  # first patch of frame 0 of sequence 0
    y2 = m(x2, 3)
    diff = (y2 - y).abs()
    assert diff[2, :, 12:, 12:].sum() > 0  # last patch of frame 2 of the same sequence changed
    assert diff[3:].sum() == 0  # the other sequence did not


def test_fusion_shapes():
    f = AudioFusion(32, tiny().fusion)
    assert f(torch.randn(4, 32, 8, 8), torch.randn(4, 16, 80)).shape == (4, 32, 8, 8)


def test_discriminator_patchgan_output():
    d = PatchDiscriminator(paper().discriminator)
    out = d(torch.randn(1, 4, 256, 256), torch.randn(1, 3, 256, 256))
    assert out.shape == (1, 1, 30, 30)  # 70 x 70 receptive field PatchGAN of pix2pix
    assert 2.7e6 < n_params(d) < 2.8e6


def test_vgg19_loads_a_saved_state_dict_and_perceptual_loss(tmp_path):
    torch.manual_seed(0)
    vgg = VGG19()
    assert n_params(vgg) == 20_024_384  # torchvision vgg19().features has exactly this many
    path = tmp_path / "vgg19.pth"
    torch.save(vgg.state_dict(), path)
    loaded = load_vgg19(path)
    assert not any(p.requires_grad for p in loaded.parameters())
    torch.testing.assert_close(loaded.features[0].weight, vgg.features[0].weight)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert perceptual(loaded, x, x).item() == 0
    y = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1).requires_grad_()
    loss = perceptual(loaded, y, x)
    loss.backward()
    assert loss.item() > 0 and y.grad.abs().sum() > 0
    torch.save({"foo": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError):
        load_vgg19(tmp_path / "bad.pth")


def test_unbalanced_l1_weights_the_mouth_twice():
    pred, target = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    mouth = torch.zeros(1, 1, 4, 4)
    assert unbalanced_l1(pred, target, mouth).item() == pytest.approx(1.0)
    mouth[..., :2, :] = 1  # half the image
    assert unbalanced_l1(pred, target, mouth, 2.0).item() == pytest.approx(1.5)


def test_unbalanced_l1_frame_weights():
    pred, target, mouth = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4), torch.zeros(2, 1, 4, 4)
    target[1] = 3.0  # frame 1 is three times as far
    plain = unbalanced_l1(pred, target, mouth)
    assert plain.item() == pytest.approx(2.0)
    assert unbalanced_l1(pred, target, mouth, frame_weight=torch.ones(2)).item() == pytest.approx(plain.item())
    assert unbalanced_l1(pred, target, mouth, frame_weight=torch.tensor([0.5, 1.5])).item() == pytest.approx(2.5)


def test_opening_weights_balance_the_bins():
    """power 1: every opening bin carries the same total weight; power 0: all ones; the reference's
    mean weight is 1 either way, and the rare wide-open frames weigh most."""
    from generator.models.losses import opening_weights

    torch.manual_seed(0)
    ref = torch.distributions.Gamma(2.0, 10.0).sample((2000,))  # skewed like speech: few wide openings
    lo, hi = torch.quantile(ref, torch.tensor([0.01, 0.99]))
    bins = ((ref - lo) / ((hi - lo) / 8)).floor().clamp(0, 7).long()
    for power in (0.0, 0.5, 1.0):
        w = opening_weights(ref, ref, power)
        assert w.mean().item() == pytest.approx(1.0, rel=1e-5)
    assert torch.equal(opening_weights(ref, ref, 0.0), torch.ones(2000))
    w = opening_weights(ref, ref, 1.0)
    totals = torch.stack([w[bins == k].sum() for k in range(8)])
    assert torch.allclose(totals, torch.full((8,), 2000 / 8), rtol=1e-4)
    assert w[ref.argmax()] > 3 * w[ref == ref.median()].max()
    # openings beyond the reference's range fall in its end bins
    assert torch.equal(opening_weights(torch.tensor([-1.0, 9.0]), ref, 1.0), w[torch.stack([ref.argmin(), ref.argmax()])])


def test_gan_loss():
    assert gan_loss(torch.ones(2, 1, 3, 3), True).item() == 0
    assert gan_loss(torch.ones(2, 1, 3, 3), False).item() == 1


def test_unbalanced_l1_weighs_the_lips_box_more():
    from generator.models.losses import unbalanced_l1

    pred, target = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    mouth, lips = torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8)
    mouth[..., 4:, :] = 1
    lips[..., 5:7, 2:6] = 1  # 8 of 64 pixels
    plain = unbalanced_l1(pred, target, mouth, 2.0)
    assert plain.item() == pytest.approx((32 * 1 + 32 * 2) / 64)
    assert unbalanced_l1(pred, target, mouth, 2.0, lips, 0.0).item() == pytest.approx(plain.item())
    assert unbalanced_l1(pred, target, mouth, 2.0, lips, 10.0).item() == pytest.approx(plain.item() + 10 * 8 / 64)


def test_mesh_opening_is_msi_mouth_opening_per_frame():
    import numpy as np

    from generator.models.losses import mesh_opening
    from msi.metrics.mouth_motion import mouth_opening
    from msi.regions import LIP_OPENING, MP_MOUTH_CORNERS

    rng = np.random.default_rng(0)
    pts = rng.normal(size=(5, 478, 3)).astype(np.float32) * 10 + 32
    ours = mesh_opening(torch.from_numpy(pts)).numpy()
    u, lo = LIP_OPENING["mediapipe478"]
    a, b = MP_MOUTH_CORNERS
    per_frame = np.linalg.norm(pts[:, u, :2] - pts[:, lo, :2], axis=-1) / np.linalg.norm(pts[:, a, :2] - pts[:, b, :2], axis=-1)
    np.testing.assert_allclose(ours, per_frame, rtol=1e-5)
    # msi's opening uses the median width over frames; with one frame it is the same quantity
    np.testing.assert_allclose(ours[:1], mouth_opening(pts[:1]), rtol=1e-5)
