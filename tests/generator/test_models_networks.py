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
    cfg = tiny().a2e
    m = Audio2Expression(cfg)
    out = m(torch.randn(2, 7, cfg.window, 80))
    assert out.shape == (2, 7, 53)
    with pytest.raises(ValueError):
        m(torch.randn(1, cfg.max_frames + 1, cfg.window, 80))


def test_audio2expression_attends_over_time():
    # a change in frame 0's audio must change the prediction of another frame (encoder over T)
    torch.manual_seed(0)
    m = Audio2Expression(tiny().a2e).eval()
    a = torch.randn(1, 6, 16, 80)
    b = a.clone()
    b[:, 0] += 1.0
    assert not torch.allclose(m(a)[:, 5], m(b)[:, 5])


def test_renderer_shapes_and_paper_layout():
    cfg = tiny()
    r = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency)
    c = cfg.renderer.in_channels  # eroded RGB + face shape + the mouth channel in tiny()
    out = r(torch.randn(2, 3, c, 64, 64), torch.randn(2, 3, 16, 80))
    assert out.shape == (2, 3, 3, 64, 64)
    assert out.abs().max() <= 1
    p = paper()
    big = Renderer(p.renderer, 256, p.fusion, p.dependency)
    convs = [m for m in big.encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size[0], c.stride[0]) for c in convs] == [(7, 1), (4, 2), (4, 2)]
    assert len(big.body) == 8
    ups = [m for m in big.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(c.kernel_size[0], c.stride[0]) for c in ups] == [(4, 2), (4, 2)]
    assert isinstance(big.decoder[-1], torch.nn.Tanh)


def test_renderer_skip_carries_a_one_pixel_line_past_the_body():
    # with RendererConfig.skip the output depends on the full-resolution encoder features directly:
    # a change at one input pixel reaches the output through the top skip even with the body's
    # and the decoder's upsampling path cut off (its features zeroed)
    import dataclasses

    torch.manual_seed(0)
    cfg = tiny()
    plain = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency).eval()
    skip = Renderer(dataclasses.replace(cfg.renderer, skip=True), 64, cfg.fusion, cfg.dependency).eval()
    assert skip.decoder[2].in_channels == 2 * plain.decoder[2].in_channels
    assert set(plain.state_dict()) == set(skip.state_dict())  # old checkpoints keep loading
    for m in (plain, skip):
        m.decoder[1].register_forward_hook(lambda mod, inp, out: out * 0)
    x = torch.randn(1, 1, cfg.renderer.in_channels, 64, 64)
    a = torch.randn(1, 1, 16, 80)
    y = x.clone()
    y[..., 40, 30] += 3.0
    torch.testing.assert_close(plain(x, a), plain(y, a))  # nothing passes a cut decoder
    diff = (skip(x, a) - skip(y, a)).abs()[0, 0].sum(0)
    # local: far pixels move only through the first block's instance statistics
    assert diff[40, 30] > 0.1 and diff[:, :20].max() < 0.05 * diff[40, 30]


def test_renderer_without_fusion_ignores_audio_and_with_fusion_uses_it():
    torch.manual_seed(0)
    cfg = tiny()
    x = torch.randn(1, 2, cfg.renderer.in_channels, 64, 64)
    a1, a2 = torch.randn(1, 2, 16, 80), torch.randn(1, 2, 16, 80)
    with_f = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency).eval()
    assert not torch.allclose(with_f(x, a1), with_f(x, a2))
    cfg.fusion.enabled = False
    no_f = Renderer(cfg.renderer, 64, cfg.fusion, cfg.dependency).eval()
    torch.testing.assert_close(no_f(x, a1), no_f(x, a2))
    assert no_f.fusion is None


def test_dependency_mixes_frames_and_patches():
    torch.manual_seed(0)
    cfg = tiny().dependency
    m = DependencyModeling(32, 16, cfg)
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


def test_gradient_difference_asks_for_edges_not_levels():
    """GDL (Mathieu et al. 2016): blind to a constant offset, which L1 is not; a blurred edge costs."""
    from generator.models.losses import gradient_difference

    target = torch.zeros(1, 3, 8, 8)
    target[..., 4:, :] = 1.0  # a sharp horizontal edge
    everywhere = torch.ones(1, 1, 8, 8)
    assert gradient_difference(target + 0.3, target, everywhere).item() == pytest.approx(0.0, abs=1e-7)
    blurred = target.clone()
    blurred[..., 3, :], blurred[..., 4, :] = 0.25, 0.75
    # dy of the target: one step of 1 between rows 3 and 4; of the blur: 0.25, 0.5, 0.25
    assert gradient_difference(blurred, target, everywhere).item() == pytest.approx(3 * 8 * 1.0 / target.numel())
    assert gradient_difference(blurred, target, torch.zeros(1, 1, 8, 8)).item() == 0.0


def test_composite_keeps_the_background_outside_the_erased_region():
    # RendererConfig.composite: mask * G + (1 - mask) * background; without it the renderer redraws all
    import dataclasses

    from generator.models.pipeline import StableFace

    torch.manual_seed(0)
    cfg = tiny()
    bg = torch.rand(1, 2, 3, 64, 64) * 2 - 1
    mask = torch.zeros(1, 2, 1, 64, 64)
    mask[..., 30:50, 20:44] = 1
    shape, audio = torch.zeros(1, 2, 2, 64, 64), torch.randn(1, 2, 16, 80)
    plain = StableFace(cfg, 64).eval()
    comp = StableFace(dataclasses.replace(cfg, renderer=dataclasses.replace(cfg.renderer, composite=True)), 64).eval()
    comp.load_state_dict(plain.state_dict())  # the same network: only the output differs
    with torch.no_grad():
        out_plain, _ = plain.generate(bg, shape, mask, audio)
        out, _ = comp.generate(bg, shape, mask, audio)
    inside = mask.expand_as(out).bool()
    torch.testing.assert_close(out[~inside], bg[~inside], rtol=0, atol=0)
    torch.testing.assert_close(out[inside], out_plain[inside], rtol=0, atol=0)
    assert not torch.allclose(out_plain[~inside], bg[~inside], atol=0.1)


def test_feature_matching_compares_the_discriminators_activations():
    """pix2pixHD's L_FM: zero for the real frame itself, positive for another; the activations are
    the hidden layers' (coarser with depth), and the logits are D's own."""
    from generator.models.losses import feature_matching

    torch.manual_seed(0)
    d = PatchDiscriminator(tiny().discriminator, in_channels=5 + 3).eval()
    cond, real = torch.randn(2, 5, 64, 64), torch.rand(2, 3, 64, 64) * 2 - 1
    feats, logits = d.features(cond, real)
    assert torch.equal(logits, d(cond, real))
    assert len(feats) == tiny().discriminator.n_layers + 1
    assert [f.shape[-1] for f in feats] == sorted((f.shape[-1] for f in feats), reverse=True)
    assert feature_matching(feats, feats).item() == 0.0
    fake = real.flip(-1).requires_grad_()
    fake_feats, _ = d.features(cond, fake)
    fm = feature_matching(fake_feats, feats)
    assert fm.item() > 0
    fm.backward()  # the gradient reaches the generated frame, not the real one
    assert fake.grad.abs().sum() > 0


def test_mouth_discriminator_judges_the_erased_box_only():
    """LossConfig.mouth_adversarial: a second PatchGAN on the erased region's box (grown, >= 16 px)."""
    from generator.models.discriminator import mouth_box

    mask = torch.zeros(2, 1, 64, 64)
    mask[0, :, 40:50, 20:30] = 1
    mask[1, :, 42:52, 24:44] = 1
    rows, cols = mouth_box(mask)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (38, 54, 18, 46)
    rows, cols = mouth_box(torch.zeros(1, 1, 64, 64).index_fill_(3, torch.tensor([63]), 1.0))
    assert rows == slice(0, 64) and (cols.start, cols.stop) == (48, 64)  # grown to 16 inside the frame
    torch.manual_seed(0)
    cfg = tiny().discriminator
    assert PatchDiscriminator(cfg, 8).mouth is None  # off: no network, the checkpoint as before
    d = PatchDiscriminator(cfg, 8, mouth=True)
    cond, img = torch.randn(2, 5, 64, 64), torch.randn(2, 3, 64, 64)
    box = mouth_box(mask)
    logits = d.mouth_logits(cond, img, box)
    assert logits.shape[0] == 2 and logits.shape[1] == 1 and logits.numel() > 2
    outside = img.clone()
    outside[..., :30, :] = 0  # changes nothing inside the box
    assert torch.equal(d.mouth_logits(cond, outside, box), logits)
