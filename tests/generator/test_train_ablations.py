"""Every ablation switch of `stableface train` really removes its component (Table V, Fig. 9)."""
import copy

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


def old_layout_run():
    """A tiny model and its optimisers as runs saved them when each per-frame embedding had a fixed
    size (a2e.max_frames 512, dependency.max_frames 64, a2e.window in the config): the same modules
    built for sequences of those lengths (their initialisation draws the same numbers), one Adam
    step on sequences of the training lengths, and the config with the old keys."""
    import dataclasses

    cfg = tiny()
    wide = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, a2e_seq_len=512, seq_len=64))
    torch.manual_seed(0)
    model = StableFace(wide, 64)
    opts = {"a2e": torch.optim.Adam(model.a2e.parameters(), 1e-3),
            "renderer": torch.optim.Adam(model.renderer.parameters(), 1e-3)}
    g = torch.Generator().manual_seed(1)
    audio, inputs = torch.randn(1, 32, 16, 80, generator=g), torch.randn(1, 8, 5, 64, 64, generator=g)
    (model.a2e(audio).square().mean() + model.renderer(inputs, audio[:, :8]).mean()).backward()
    for o in opts.values():
        o.step()
    config = to_dict(cfg)
    config["a2e"].update(window=16, max_frames=512)
    config["dependency"]["max_frames"] = 64
    state = {"model": model.state_dict(), "optimizers": {k: o.state_dict() for k, o in opts.items()},
             "config": config}
    return cfg, model, state, (audio, inputs)


def test_a_run_saved_with_fixed_size_embeddings_loads_as_it_ran():
    """Old runs keep loading: their config's former keys are dropped (checked), their embeddings and
    Adam moments cut to the rows training used; the models compute the same, and train on alike."""
    from generator.models.pipeline import fit_sequence_embeddings

    cfg, old, state, (audio, inputs) = old_layout_run()
    assert old.a2e.pos.shape[1] == 512 and old.renderer.dependency.time.shape[1] == 64
    assert to_dict(from_dict(state["config"])) == to_dict(cfg)
    new = StableFace(from_dict(state["config"]), 64)
    fitted = fit_sequence_embeddings(state, new)
    new.load_state_dict(fitted["model"])
    assert new.a2e.pos.shape[1] == 32 and new.renderer.dependency.time.shape[1] == 8
    opts = {"a2e": torch.optim.Adam(new.a2e.parameters(), 1e-3),
            "renderer": torch.optim.Adam(new.renderer.parameters(), 1e-3)}
    for k, o in opts.items():
        o.load_state_dict(fitted["optimizers"][k])
    assert torch.equal(new.a2e(audio), old.a2e(audio))
    assert torch.equal(new.renderer(inputs, audio[:, :8]), old.renderer(inputs, audio[:, :8]))
    old_opts = [torch.optim.Adam(old.a2e.parameters(), 1e-3), torch.optim.Adam(old.renderer.parameters(), 1e-3)]
    for o, k in zip(old_opts, ("a2e", "renderer")):  # a copy: loading keeps the given moments, updated in place
        o.load_state_dict(copy.deepcopy(state["optimizers"][k]))
    for model, optims in ((old, old_opts), (new, list(opts.values()))):  # one more step on each
        for o in optims:
            o.zero_grad()
        (model.a2e(audio).square().mean() + model.renderer(inputs, audio[:, :8]).mean()).backward()
        for o in optims:
            o.step()
    assert torch.equal(new.a2e.pos, old.a2e.pos[:, :32])
    assert torch.equal(new.renderer.dependency.time, old.renderer.dependency.time[:, :8])
    assert all(torch.equal(a, b) for (k, a), b in zip(new.state_dict().items(), old.state_dict().values())
               if k not in ("a2e.pos", "renderer.dependency.time"))


def test_an_old_run_is_refused_where_it_could_not_have_run_as_this_version_would():
    from generator.models.pipeline import fit_sequence_embeddings

    cfg, _, state, _ = old_layout_run()
    short = to_dict(cfg)
    short["a2e"]["max_frames"] = 31  # below a2e_seq_len 32: that config could not have trained
    with pytest.raises(ValueError, match="a2e.max_frames = 31: shorter than the 32 frames"):
        from_dict(short)
    moments = state["optimizers"]["a2e"]["state"][0]
    moments["exp_avg"][:, 40] = 1.0  # a row past the training length was trained
    with pytest.raises(ValueError, match="a2e.pos: rows past the first 32 were trained"):
        fit_sequence_embeddings(state, StableFace(cfg, 64))


def test_schedule_counts_epochs_in_steps():
    cfg = tiny()
    cfg.train.a2e_epochs, cfg.train.render_epochs, cfg.train.joint_epochs = 2, 3, 1
    # 80 training frames / seq_len 8 = 10 sequences = 5 steps of 2 sequences per epoch
    assert schedule(cfg, 80) == [("a2e", 10), ("render", 15), ("joint", 5)]
    assert stage_plan(cfg, slice(0, 80), slice(80, 112)) == schedule(cfg, 80)  # the validation split is not trained on
