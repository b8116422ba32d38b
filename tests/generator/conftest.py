"""Generator fixtures: one tiny prepared clip per session (real espeak-ng speech, the astronaut
face warped along its MediaPipe mesh, real tracking), shared by the data and training tests."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_config(tmp_path_factory):
    """Tests never make or read a signing certificate in the user's config folder."""
    old = os.environ.get("STABLEFACE_CONFIG_DIR")
    os.environ["STABLEFACE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("stableface-config"))
    yield
    if old is None:
        os.environ.pop("STABLEFACE_CONFIG_DIR", None)
    else:
        os.environ["STABLEFACE_CONFIG_DIR"] = old

def make_tiny_clip(out_dir: Path, seconds: float = 4.0, size: int = 64, seed: int = 0) -> Path:
    """A prepared data directory of a short synthetic clip: ``build_clip`` + ``prepare``.

    The synthetic video is written to ``out_dir/source`` and prepared into ``out_dir/data`` at
    ``size`` pixels. Returns the data directory.
    """
    from generator.corpus.build import build_clip
    from generator.data import prepare

    out = Path(out_dir)
    paths = build_clip(out / "source", seconds=seconds, seed=seed)
    prepare.prepare(prepare.PrepareConfig(video=Path(paths.video), out=out / "data", size=size), progress=False)
    return out / "data"


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory) -> Path:
    """A prepared 4-second, 64-pixel synthetic clip (100 frames; its source mp4, wav and ground
    truth npz in ``tiny_clip.parent / "source"``). Tests must not write into it.

    Under pytest-xdist the workers of one run share it: the first to need it builds it (~5 s)
    under a lock in the run's own temporary folder (``pytest-N``, the parent of each worker's),
    the others wait for it and read it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make_tiny_clip(tmp_path_factory.mktemp("tiny"), seconds=4.0, size=64, seed=0)
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent  # this run's, not an earlier run's
    with FileLock(str(shared / "tiny_clip.lock")):
        done = shared / "tiny_clip.done"
        if not done.is_file():
            make_tiny_clip(shared / "tiny_clip", seconds=4.0, size=64, seed=0)
            done.write_text("built\n")  # a build that failed half-way is not taken for one
    return shared / "tiny_clip" / "data"


@pytest.fixture
def stableface_error(one_line_error):
    """The shared ``one_line_error`` check for ``stableface``: exactly one line
    ``stableface: error: ...`` on stderr holding every needle, exit code 1, no traceback."""
    return functools.partial(one_line_error, prog="stableface", exit_code=1, alone=True)
