"""``stableface train``: train the StableFace models on one prepared data directory.

Also the torchrun entry point: ``torchrun --nproc_per_node=N -m generator train DATA_DIR ...``.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import click

from generator.cli import options as opt
from generator.config import PRESETS, StableFaceConfig
from generator.errors import GeneratorError

ABLATIONS = ("no_audio_fusion", "no_smoothing", "smoothing", "no_erosion", "no_dependency", "baseline")


@click.command("train", short_help="train the StableFace models on a prepared data directory")
@click.argument("data_dir")
@click.option("--out", required=True, metavar="RUN_DIR", help="run directory (checkpoint, losses.csv, samples/)")
@click.option("--config", type=click.Choice(sorted(PRESETS)), default="paper",
              help="model sizes: 'paper' (256x256 frames), 'tiny' (64x64, trains on a CPU in minutes) "
                   "or 'tiny128' (tiny for 128x128 frames: prepare --size 128; under 30 min)")
@click.option("--epochs", metavar="A,R,J", help="override the epochs of the a2e, render and joint stages")
@click.option("--max-steps", type=int, help="stop after this many global steps (resume later to continue)")
@click.option("--vgg19", metavar="FILE", help="VGG19 state dict for the perceptual loss (never downloaded)")
@click.option("--no-audio-fusion", is_flag=True, help="ablation (Table V, Fig. 9): remove the audio fusion module")
@click.option("--no-smoothing", is_flag=True, help="ablation: remove the smoothing module")
@click.option("--smoothing", type=click.Choice(["fixed", "global", "adaptive"]),
              help="ablation: smoothing variant (default adaptive)")
@click.option("--no-erosion", is_flag=True, help="ablation: erase the exact mesh mouth mask (no augmentation)")
@click.option("--no-dependency", is_flag=True, help="ablation: remove dependency modeling")
@click.option("--baseline", is_flag=True, help="ablation: all four components off")
@click.option("--seed", type=int, help="random seed (default from the config: 0)")
@click.option("--threads", type=int, help="torch CPU threads; 0 follows the cores other processes leave free, "
                                         "re-read every 10 s (default from the config: tiny 0, paper 2)")
@click.option("--a2e-gain", type=click.Choice(["none", "mesh"]),
              help="after training, scale audio2expression's output by one gain fitted on the validation split: "
                   "mesh (the smoothed meshes open as wide as the tracked ones) or none, the paper "
                   "(default from the config: tiny mesh, paper none)")
@click.option("--a2e-gain-reference", type=click.Choice(["val", "train+val"]),
              help="whose tracked mouth motion the gain matches: the validation split's own (val) or the speaker's "
                   "over every frame outside the test split (train+val) (default from the config)")
@opt.torch_run_options("resume from")
def command(data_dir: str, out: str, max_steps: int | None, device: str | None, trust_checkpoint: bool, quiet: bool,
            **options) -> int:
    """Train audio2expression, then the renderer without and with smoothing, on a data directory
    written by `stableface prepare`. Rerun the same command to resume from RUN_DIR/checkpoint.pt."""
    path = Path(data_dir)
    if not (path / "manifest.json").is_file():
        raise GeneratorError(f"{path} is not a prepared data directory (no manifest.json); run `stableface prepare`")
    from generator.checkpoint import trusting
    from generator.train import train
    from msi.cli.outputs import check_folder

    check_folder(out, "--out")  # before any training

    with trusting(trust_checkpoint):
        result = train(path, out, config_from_options(**options), max_steps=max_steps, device=device,
                       progress=not quiet)
    if int(os.environ.get("RANK", 0)) == 0:
        print(json.dumps({"run_dir": str(out), "step": result["step"], "total_steps": result["total_steps"],
                          "seconds": round(result["seconds"], 1)}))
    return 0


def config_from_options(config: str = "paper", epochs: str | None = None, seed: int | None = None,
                        threads: int | None = None, vgg19: str | None = None, a2e_gain: str | None = None,
                        a2e_gain_reference: str | None = None, **options) -> StableFaceConfig:
    """The training configuration the command-line options of ``stableface train`` describe: a preset,
    its ablation switches (``ABLATIONS``) and overrides. Other options (``data_dir``, ``out``, ...) are ignored."""
    from generator.config import apply_ablations, get_config

    cfg = apply_ablations(get_config(config), **{k: options[k] for k in ABLATIONS if k in options})
    t = cfg.train
    if epochs:
        try:
            a, r, j = (int(x) for x in epochs.split(","))
        except ValueError:
            raise GeneratorError(f"--epochs wants three integers A,R,J, got {epochs!r}") from None
        t = dataclasses.replace(t, a2e_epochs=a, render_epochs=r, joint_epochs=j)
    if seed is not None:
        t = dataclasses.replace(t, seed=seed)
    if threads is not None:
        t = dataclasses.replace(t, threads=threads)
    if a2e_gain is not None:
        t = dataclasses.replace(t, a2e_gain=a2e_gain)
    if a2e_gain_reference is not None:
        t = dataclasses.replace(t, a2e_gain_reference=a2e_gain_reference)
    cfg.train = t
    if vgg19:
        if not Path(vgg19).is_file():
            raise GeneratorError(f"VGG19 weights not found: {vgg19}")
        cfg.loss = dataclasses.replace(cfg.loss, vgg_weights=str(Path(vgg19).resolve()))
    return cfg
