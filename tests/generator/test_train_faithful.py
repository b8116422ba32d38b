"""Training as the paper describes it: the paper() schedule, unbalanced L1 with weight 2 on the
eroded region, a note when the perceptual loss is missing, and smoothing weights that learn."""
import pytest
import torch

from generator import train as T
from generator.config import paper, tiny

torch.set_num_threads(1)


def test_paper_preset_matches_the_paper():
    c = paper()
    t = c.train
    assert (t.render_epochs, t.joint_epochs) == (100, 20)
    assert t.seq_len == 12  # "a dozen consecutive frames"
    assert (t.lr_renderer, t.lr_smoothing) == (1e-4, 1e-6)
    assert (c.loss.l1, c.loss.perceptual, c.loss.mouth_weight) == (20.0, 1.0, 2.0)
    assert c.a2e.n_exp == 53 and c.smoothing.mode == "adaptive" and c.smoothing.k == 5


def test_small_config_uses_a_smoothing_rate_that_moves_the_weights():
    # documented deviation: 1e-6 leaves the adaptive weights at their start (test_models_smoothing)
    assert tiny().train.lr_smoothing == 1e-3


@pytest.fixture(scope="module")
def trainer_and_batch(tiny_clip):
    data = T.TrainData.load(tiny_clip)
    trainer = T.Trainer(tiny(), data, torch.device("cpu"))
    idx = T.draw_sequences(data.train, 8, 2, seed=0, step=5)
    return trainer, data.batch(idx, torch.device("cpu"))


@pytest.mark.slow
def test_unbalanced_l1_weights_the_eroded_region(trainer_and_batch, monkeypatch):
    """paper()'s L1: weight 2 on the eroded region (tiny()'s lips' box and opening weights on top)."""
    trainer, b = trainer_and_batch
    seen = {}

    real_l1 = T.unbalanced_l1

    def spy(pred, target, mask, weight, lips=None, lip_weight=0.0, frame_weight=None):
        seen["mask"], seen["weight"], seen["lips"], seen["lip_weight"] = mask.clone(), weight, lips, lip_weight
        seen["frame_weight"] = frame_weight
        return real_l1(pred, target, mask, weight, lips, lip_weight, frame_weight)

    monkeypatch.setattr(T, "unbalanced_l1", spy)
    _, out = trainer.step_render(b, joint=False, generator=torch.Generator().manual_seed(4))
    eroded = out["mask"].flatten(0, 1)
    assert seen["weight"] == 2.0
    # tiny()'s LossConfig.opening_balance: one weight per frame, mean 1 over the training frames
    assert seen["frame_weight"].shape == (16,) and seen["frame_weight"].min() > 0
    # tiny()'s extra weight on the lips' box of the face shape the renderer was given
    assert seen["lip_weight"] == 10.0 and torch.equal(seen["lips"], out["lips"].flatten(0, 1))
    assert 0 < seen["lips"].mean() < 0.1
    assert torch.equal(seen["mask"], eroded)  # the augmented erosion mask of this step
    assert not torch.equal(seen["mask"], b["mouth"].flatten(0, 1))  # not the prepared mouth mask
    # and the erased pixels are exactly where the renderer input shows the background's zero
    erased = (out["inputs"][:, :, :3] == 0).all(2).flatten(0, 1)[:, None]
    assert torch.all(erased[eroded > 0])


@pytest.mark.slow
def test_joint_stage_trains_the_adaptive_weights(trainer_and_batch):
    trainer, b = trainer_and_batch
    sm = trainer.model.smoothing
    before = [p.detach().clone() for p in sm.parameters()]
    trainer.step_render(b, joint=False, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(p, q) for p, q in zip(sm.parameters(), before))  # stage 2a: smoothing frozen
    for s in range(3):
        trainer.step_render(b, joint=True, generator=torch.Generator().manual_seed(2 + s))
    moved = max(float((p.detach() - q).abs().max()) for p, q in zip(sm.parameters(), before))
    assert moved > 1e-3  # three Adam steps at the tiny config's 1e-3


def test_train_jitter_reaches_only_the_joint_stage_in_training(tiny_clip):
    """SmoothingConfig.train_jitter: noise for the module to remove in the joint stage; the renderer
    stage and evaluation see the tracked meshes as they are."""
    import dataclasses

    data = T.TrainData.load(tiny_clip)
    cfg = tiny()
    cfg.smoothing = dataclasses.replace(cfg.smoothing, train_jitter=0.5)
    trainer = T.Trainer(cfg, data, torch.device("cpu"))
    b = data.batch(T.draw_sequences(data.train, 8, 1, seed=0, step=3), torch.device("cpu"))
    m = trainer.model
    seen = []
    real_meshes = m.meshes
    m.meshes = lambda e, *a, **k: (seen.append(e), real_meshes(e, *a, **k))[1]
    gen = lambda: torch.Generator().manual_seed(7)  # noqa: E731
    trainer.renderer_batch(b, smooth=True, train=True, generator=gen())
    jittered = seen[0] - b["expression"]
    assert float((jittered / trainer.ident.exp_std).std()) == pytest.approx(0.5, rel=0.15)
    for smooth, train in ((False, True), (True, False)):  # the renderer stage; evaluation
        seen.clear()
        trainer.renderer_batch(b, smooth=smooth, train=train, generator=gen())
        assert torch.equal(seen[0], b["expression"])


@pytest.mark.slow
def test_missing_perceptual_loss_is_said_once(tiny_clip, tmp_path, capsys):
    T._warned.clear()
    cfg = tiny()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 1, 0, 0
    for i in range(2):
        T.train(tiny_clip, tmp_path / f"run{i}", cfg, max_steps=1, progress=False)
    err = capsys.readouterr().err
    assert err.count("without the perceptual loss") == 1
    assert "differs from the paper" in err


@pytest.mark.slow
def test_opening_balance_weighs_the_rare_wide_open_frames_more(tiny_clip, monkeypatch):
    """LossConfig.opening_balance (tiny(): 1; paper(): 0): the render step's L1 gets one weight
    per frame, from the frame's tracked opening among the training frames', and the widest frame of
    the batch weighs more than the most common opening."""
    import dataclasses

    from generator.models.losses import mesh_opening

    cfg = tiny()
    assert cfg.loss.opening_balance == 1.0 and paper().loss.opening_balance == 0.0
    data = T.TrainData.load(tiny_clip)
    trainer = T.Trainer(cfg, data, torch.device("cpu"))
    assert T.Trainer(dataclasses.replace(cfg, loss=dataclasses.replace(cfg.loss, opening_balance=0.0)), data,
                     torch.device("cpu")).opening_reference is None
    for bad in ({"opening_balance": -1.0}, {"opening_bins": 1}):
        with pytest.raises(T.GeneratorError, match="opening_balance must be"):
            T.Trainer(dataclasses.replace(cfg, loss=dataclasses.replace(cfg.loss, **bad)), data, torch.device("cpu"))
    ref = trainer.opening_reference
    assert ref.shape == (data.train.stop - data.train.start,)
    seen = {}
    real_l1 = T.unbalanced_l1

    def spy(*args):
        seen["frame_weight"] = args[-1]
        return real_l1(*args)

    monkeypatch.setattr(T, "unbalanced_l1", spy)
    b = data.batch(T.draw_sequences(data.train, 8, 2, seed=0, step=5), torch.device("cpu"))
    trainer.step_render(b, joint=False, generator=torch.Generator().manual_seed(4))
    w = seen["frame_weight"]
    with torch.no_grad():
        opening = mesh_opening(trainer.model.meshes(b["expression"], trainer.ident, b["rotation"], b["translation"],
                                                    b["scale"], smooth=False).flatten(0, 1))
    assert w.shape == (16,) and torch.allclose(w, T.opening_weights(opening, ref, 1.0, cfg.loss.opening_bins))
    assert w.min() > 0
