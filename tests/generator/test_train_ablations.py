"""Every ablation switch of `stableface train` really removes its component (Table V, Fig. 9)."""
import pytest
import torch

from generator.config import from_dict, to_dict, tiny
from generator.models.dependency import DependencyModeling
from generator.models.fusion import AudioFusion
from generator.models.pipeline import StableFace
from generator.models.smoothing import AdaptiveWeights, FixedWeights, GlobalWeights
from generator.cli.train import command, config_from_options
from generator.train import schedule

torch.set_num_threads(1)


def build(*flags):
    ctx = command.make_context("train", ["data", "--out", "run", "--config", "tiny", *flags])
    cfg = config_from_options(**ctx.params)
    return cfg, StableFace(cfg, 64)


def has(model, cls):
    return any(isinstance(m, cls) for m in model.modules())


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def test_full_model_has_every_component():
    cfg, m = build()
    assert has(m, AudioFusion) and has(m, DependencyModeling) and has(m, AdaptiveWeights)
    assert cfg.erosion.enabled


@pytest.mark.parametrize("flag, cls", [("--no-audio-fusion", AudioFusion), ("--no-dependency", DependencyModeling),
                                       ("--no-smoothing", AdaptiveWeights)])
def test_switch_removes_module_and_its_parameters(flag, cls):
    _, full = build()
    cfg, m = build(flag)
    assert not has(m, cls)
    removed = sum(n_params(x) for x in full.modules() if isinstance(x, cls))
    assert removed > 0
    assert n_params(m) == n_params(full) - removed


def test_no_smoothing_leaves_meshes_untouched():
    _, m = build("--no-smoothing")
    assert m.smoothing is None


def test_no_erosion_switches_augmentation_off():
    cfg, _ = build("--no-erosion")
    assert not cfg.erosion.enabled


def test_baseline_switches_all_four_off():
    cfg, m = build("--baseline")
    assert m.smoothing is None and m.renderer.fusion is None and m.renderer.dependency is None
    assert not cfg.erosion.enabled
    assert not has(m, AudioFusion) and not has(m, DependencyModeling)


@pytest.mark.parametrize("mode, cls, count", [("fixed", FixedWeights, 0), ("global", GlobalWeights, 5),
                                              ("adaptive", AdaptiveWeights, 10_997)])
def test_smoothing_variants(mode, cls, count):
    _, m = build("--smoothing", mode)
    assert isinstance(m.smoothing.weights, cls)
    assert n_params(m.smoothing) == count


def test_config_round_trips_through_json_dict():
    cfg, _ = build("--baseline", "--epochs", "1,2,3")
    again = from_dict(to_dict(cfg))
    assert to_dict(again) == to_dict(cfg)
    assert (again.train.a2e_epochs, again.train.render_epochs, again.train.joint_epochs) == (1, 2, 3)


def test_schedule_counts_epochs_in_steps():
    cfg = tiny()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 2, 3, 1
    # 80 training frames / seq_len 8 = 10 sequences = 5 steps of 2 sequences per epoch
    assert schedule(cfg, 80) == [("a2e", 10), ("render", 15), ("joint", 5)]


def test_audio2expression_can_train_on_the_validation_split_too():
    """TrainConfig.a2e_split: "train+val" lengthens audio2expression's epoch (its frames) and only
    its; the renderer's stages keep the training split; an unknown name is one error."""
    from generator.errors import GeneratorError
    from generator.train import a2e_frames, stage_plan

    cfg = tiny()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 2, 3, 1
    train, val = slice(0, 80), slice(80, 112)
    assert stage_plan(cfg, train, val) == [("a2e", 10), ("render", 15), ("joint", 5)]
    cfg.train.a2e_split = "train+val"
    assert a2e_frames(cfg, train, val) == slice(0, 112)
    assert stage_plan(cfg, train, val) == [("a2e", 14), ("render", 15), ("joint", 5)]  # 112 / 8 / 2 = 7 per epoch
    cfg.train.a2e_split = "everything"
    with pytest.raises(GeneratorError, match="a2e_split"):
        stage_plan(cfg, train, val)


def test_concordance_falls_with_a_shrunk_prediction_where_pearson_does_not():
    """1 - CCC (TrainConfig.a2e_opening) penalises a prediction that regresses to the mean."""
    import torch

    from generator.models.losses import concordance

    x = torch.sin(torch.linspace(0, 12, 200)) + 0.1 * torch.linspace(0, 1, 200)
    assert float(concordance(x, x)) == pytest.approx(1.0, abs=1e-6)
    shrunk = 0.5 * (x - x.mean()) + x.mean()
    assert float(torch.corrcoef(torch.stack([shrunk, x]))[0, 1]) == pytest.approx(1.0, abs=1e-6)
    assert float(concordance(shrunk, x)) == pytest.approx(2 * 0.5 / (0.25 + 1), rel=1e-4)  # 2s / (s^2 + 1)
    assert float(concordance(x + 1.0, x)) < 1  # a shifted mean counts too


def test_the_opening_term_adds_one_minus_the_concordance_of_the_mesh_openings(tiny_clip):
    """step_a2e with TrainConfig.a2e_opening: the loss grows by weight x (1 - CCC) of the predicted
    and tracked meshes' mouth openings (the same batch, the same initial weights)."""
    from generator.models.losses import concordance
    from generator.models.probe import mesh_opening
    from generator.train import TrainData, Trainer, draw_sequences

    data = TrainData.load(tiny_clip)
    losses = {}
    for w in (0.0, 2.0):
        cfg = tiny()
        cfg.a2e.window, cfg.train.a2e_opening = data.window, w
        torch.manual_seed(0)
        tr = Trainer(cfg, data, torch.device("cpu"))
        b = data.batch(draw_sequences(data.train, 16, 2, 0, 0), torch.device("cpu"))
        if w:
            with torch.no_grad():
                tr.model.a2e.train()
                pred = tr.model.a2e(b["audio"]) * tr.ident.exp_std
                pose = (b["rotation"], b["translation"], b["scale"])
                o = [mesh_opening(tr.model.meshes(e, tr.ident, *pose, smooth=False).flatten(0, 1))
                     for e in (pred, b["expression"])]
                expected = w * (1 - float(concordance(*o)))
        losses[w] = tr.step_a2e(b)["loss"]
    assert expected > 0.05
    assert losses[2.0] - losses[0.0] == pytest.approx(expected, rel=1e-4, abs=1e-6)
