"""Every ablation switch of `stableface train` really removes its component (Table V, Fig. 9)."""
import pytest
import torch

from generator.config import from_dict, to_dict, tiny
from generator.models.dependency import DependencyModeling
from generator.models.fusion import AudioFusion
from generator.models.pipeline import StableFace
from generator.models.smoothing import AdaptiveWeights, FixedWeights, GlobalWeights
from generator.cli.train import command, config_from_options
from generator.train import schedule, stage_plan

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


def test_a_saved_config_with_a_removed_option_loads_only_where_it_changed_nothing():
    from generator.config import REMOVED

    d = to_dict(tiny())
    d["loss"]["probe_weight"], d["renderer"]["composite"], d["discriminator"]["mouth_layers"] = 0.0, False, 3
    assert to_dict(from_dict(d)) == to_dict(tiny())
    assert "probe_weight" in REMOVED["loss"] and not hasattr(tiny().loss, "probe_weight")
    d["loss"]["probe_weight"] = 1.0
    with pytest.raises(ValueError, match="loss.probe_weight = 1.0"):
        from_dict(d)


def test_derived_values_are_written_where_they_stood_and_checked_when_read():
    """in_channels, lip_pad and sample_every follow from other settings: config.json still holds
    them (a saved run reads as it did), and a saved value the settings no longer give is refused."""
    import dataclasses

    from generator.config import get_config

    cfg = get_config("tiny128")
    d = to_dict(cfg)
    assert list(d["renderer"])[0] == "in_channels" and d["renderer"]["in_channels"] == 5
    assert list(d["loss"])[list(d["loss"]).index("lip_weight") + 1] == "lip_pad" and d["loss"]["lip_pad"] == 4
    assert d["train"]["sample_every"] == d["train"]["checkpoint_every"] == 100
    assert to_dict(from_dict(d)) == d
    assert not any(f.name in ("in_channels", "lip_pad", "sample_every")
                   for part in (cfg.renderer, cfg.loss, cfg.train) for f in dataclasses.fields(part))
    d["renderer"]["in_channels"] = 4
    with pytest.raises(ValueError, match="renderer.in_channels = 4: now derived"):
        from_dict(d)
    d = to_dict(get_config("paper"))
    d["loss"]["lip_pad"] = 2  # an older paper run: lip_pad was 2, and unused without lip_weight
    assert to_dict(from_dict(d))["loss"]["lip_pad"] == 8


def test_schedule_counts_epochs_in_steps():
    cfg = tiny()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 2, 3, 1
    # 80 training frames / seq_len 8 = 10 sequences = 5 steps of 2 sequences per epoch
    assert schedule(cfg, 80) == [("a2e", 10), ("render", 15), ("joint", 5)]
    assert stage_plan(cfg, slice(0, 80), slice(80, 112)) == schedule(cfg, 80)  # the validation split is not trained on
