"""What ``generator_renderer_variant.py`` and ``generator_a2e_variant.py`` share: their command
line (RUN DATA OUT OVERRIDE --seed), the ``tiny`` config with the JSON override applied, and the
stage table of the finished variant."""
from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from pathlib import Path


def parse(description: str, example: str, seed_help: str, argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("run", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("override", type=json.loads, help=f"JSON, e.g. '{example}'")
    p.add_argument("--seed", type=int, default=0, help=seed_help)
    return p.parse_args(argv)


def tiny_with(override: dict, seed: int, **train):
    """``tiny()`` with ``seed`` and ``train`` fields set, then the override (section -> fields)."""
    from generator.config import get_config

    cfg = get_config("tiny")
    cfg.train = dataclasses.replace(cfg.train, seed=seed, **train)
    for section, fields in override.items():
        setattr(cfg, section, dataclasses.replace(getattr(cfg, section), **fields))
    return cfg


def stage_table(run: Path, data: Path) -> int:
    """``generator_stability.py RUN DATA --out RUN/stab`` in its own process; its exit code."""
    return subprocess.call([sys.executable, str(Path(__file__).with_name("generator_stability.py")),
                            str(run), str(data), "--out", str(run / "stab")])
