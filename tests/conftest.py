"""Shared fixtures: real sample clips, and bad or unusual videos written with PyAV."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

# MediaPipe's C++ logs are noise in test output.
os.environ.setdefault("GLOG_minloglevel", "2")

#: Which CI environment a run is: ``.ci/run`` runs the suite in its main venv, and the legacy face
#: mesh's file in a Python 3.12 venv of its own (``CI_SUITE=legacy``); unset means ``main``.
CI_SUITE_VARIABLE = "CI_SUITE"

#: The only tests that may skip under CI (``CI`` set), per CI environment, by node-id prefix, and
#: why. Any other skip (a reference package such as boto3, torch or an oracle missing; Chromium
#: absent) fails the run: CI installs everything, so a skip there is a missing install step, not a pass.
EXPECTED_SKIPS = {
    # mediapipe 0.10.14's face mesh exists only in the `legacy` extra (Python <= 3.12); the legacy
    # venv runs this file, and may skip nothing
    "main": {"tests/msi/test_tracking_legacy.py::": "legacy backend not installed in the main venv"},
    "legacy": {},
}

#: Tests that must pass under CI, per CI environment (node-id prefix -> at least this many passed):
#: a venv whose only job is one file cannot go green by skipping or deselecting it.
REQUIRED_PASSES = {
    "main": {},
    "legacy": {"tests/msi/test_tracking_legacy.py::": 4},
}


def pytest_configure(config):
    """Under pytest-xdist, keep the files in the order :func:`pytest_collection_modifyitems` gives.
    xdist's default queues files by their number of tests, most first, which leaves the files of a
    few long tests (the browser tests, each a minute or more) to the end of the run, where one
    worker runs them while the other idles (8 % over an even split of 2 workers, in a replay of
    xdist's queue on one run's measured test times)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """Files that hold a slow test first, then the rest (each group in collection order): with
    ``--dist loadfile`` the end of a run is then small files, which even out the two workers."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the order within a file stays


def _ci_verdict(suite: str, skipped: list, passed: list) -> tuple[list[str], bool]:
    """The lines CI prints about skips and required passes, and whether the run must fail."""
    if suite not in EXPECTED_SKIPS:
        return [f"CI: unknown {CI_SUITE_VARIABLE}={suite!r} (one of {', '.join(EXPECTED_SKIPS)})"], True
    allowed = EXPECTED_SKIPS[suite]
    unexpected = [r for r in skipped if not any(r.nodeid.startswith(p) for p in allowed)]
    reason = lambda r: r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)  # noqa: E731
    lines = [f"CI ({suite}): {len(skipped)} skipped, {len(skipped) - len(unexpected)} of them expected "
             "(tests/conftest.py EXPECTED_SKIPS)"]
    lines += [f"CI: unexpected skip: {r.nodeid}: {reason(r)}" for r in unexpected]
    short = []
    for prefix, minimum in REQUIRED_PASSES[suite].items():
        n = sum(r.nodeid.startswith(prefix) for r in passed)
        lines.append(f"CI ({suite}): {n} passed in {prefix} (at least {minimum} required: tests/conftest.py REQUIRED_PASSES)")
        if n < minimum:
            short.append(prefix)
    return lines, bool(unexpected or short)


def pytest_sessionfinish(session, exitstatus):
    """Under CI: fail the run on any skip that :data:`EXPECTED_SKIPS` does not allow in this CI
    environment, or on fewer passed tests than :data:`REQUIRED_PASSES` asks of it."""
    if not os.environ.get("CI") or hasattr(session.config, "workerinput"):  # xdist workers report to the controller
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = reporter.stats if reporter else {}
    skipped = [r for r in stats.get("skipped", []) if getattr(r, "nodeid", "")]
    passed = [r for r in stats.get("passed", []) if getattr(r, "when", "call") == "call"]
    lines, failed = _ci_verdict(os.environ.get(CI_SUITE_VARIABLE) or "main", skipped, passed)
    if reporter:
        for line in lines:
            reporter.write_line(line, red=failed)
    if failed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Tests never read or write the user's landmark cache."""
    d = tmp_path_factory.mktemp("msi-cache")
    old = os.environ.get("MSI_CACHE_DIR")
    os.environ["MSI_CACHE_DIR"] = str(d)
    yield d
    if old is None:
        os.environ.pop("MSI_CACHE_DIR", None)
    else:
        os.environ["MSI_CACHE_DIR"] = old


def assert_one_line_error(code: int, err: str, *needles: str, prog: str = "msi", exit_code: int | None = None,
                          alone: bool = False) -> None:
    """A failed command reported in exactly one line ``<prog>: error: ...`` holding every needle,
    and no traceback. ``alone``: nothing else on stderr; ``exit_code``: that exact code (else != 0)."""
    assert code != 0 if exit_code is None else code == exit_code, (code, err)
    assert "Traceback" not in err, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(f"{prog}: error: ")]
    assert len(errors) == 1 and (not alone or len(lines) == 1), err
    for n in needles:
        assert n in errors[0], (n, errors[0])


@pytest.fixture
def one_line_error():
    """:func:`assert_one_line_error`, as a fixture (test modules cannot import conftest reliably)."""
    return assert_one_line_error


@pytest.fixture
def run_cli(capsys):
    """Run a command in-process: ``run_cli(argv, main=msi.cli.main)`` -> (exit code, stdout, stderr)."""

    def run(argv, main=None) -> tuple[int, str, str]:
        if main is None:
            from msi.cli import main
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


#: What a command's --help must never import.
HEAVY_MODULES = ("mediapipe", "torch", "matplotlib", "onnxruntime")


def run_fresh(package: str, argv: list[str]) -> tuple[int, list[str], str]:
    """Run ``<package>.cli.main(argv)`` in a fresh interpreter: its exit code, the modules it
    imported that are heavy (:data:`HEAVY_MODULES`) or belong to ``<package>``, and its stderr
    before that list (for a failure's message)."""
    import subprocess
    import sys

    code = (f"import sys; from {package}.cli import main; rc = main({argv!r}); "
            f"mods = [m for m in sys.modules if m.split('.')[0] in {HEAVY_MODULES!r} or m.startswith('{package}.')]; "
            "print(','.join(sorted(mods)), file=sys.stderr); sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    *said, last = p.stderr.strip().splitlines() or [""]
    return p.returncode, [m for m in last.split(",") if m], "\n".join(said[-20:])


@pytest.fixture
def imports_after():
    """:func:`run_fresh` as a fixture: ``imports_after("msi", ["score", "--help"])`` -> (code, modules, stderr)."""
    return run_fresh


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread while a module's tests run (``pytestmark = pytest.mark.usefixtures(...)``),
    the previous count back afterwards: on a shared 2-core machine two threads of small
    convolutions wait on each other (measured: S3FD on a 44 x 36 input 2.5 s with 2 threads, 0.15 s with 1)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def pristine() -> Path:
    from msi.io.samples import sample_path

    return sample_path("carphone_pristine.mp4")


@pytest.fixture(scope="session")
def distorted() -> Path:
    from msi.io.samples import sample_path

    return sample_path("carphone_distorted.mp4")


@pytest.fixture(scope="session")
def bunny() -> Path:
    from msi.io.samples import sample_path

    return sample_path("bigbuckbunny.mp4")


@pytest.fixture(scope="session")
def pristine_frames(pristine) -> np.ndarray:
    from msi.io.video import read_frames

    return read_frames(pristine)


@pytest.fixture(scope="session")
def inception_file(tmp_path_factory, pristine_frames) -> Path:
    """Random weights in pytorch-fid's file format (the state dict of ``fid_inception_v3()``):
    He-initialised convolutions, batch-norm statistics measured on two carphone frames (so the
    40-odd layers neither vanish nor saturate and the features tell images apart). Read only."""
    import torch

    from msi.networks.inception import FIDInceptionV3

    torch.manual_seed(0)
    net = FIDInceptionV3()
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None  # the plain average of what it sees
    net.train()
    with torch.no_grad():
        net(torch.from_numpy(pristine_frames[[0, 50]]).permute(0, 3, 1, 2).float() / 255)
    path = tmp_path_factory.mktemp("weights") / "pt_inception-2015-12-05-random.pth"
    torch.save({k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}, path)
    return path


@pytest.fixture(scope="session")
def odd_files(tmp_path_factory, pristine) -> dict[str, Path]:
    """The bad inputs that need no encoding (missing, empty, not a video, truncated, wrong landmark
    arrays): cheap, for the fast lane."""
    d = tmp_path_factory.mktemp("odd_files")
    out = {"missing": d / "does_not_exist.mp4"}
    (d / "empty.mp4").write_bytes(b"")
    out["empty"] = d / "empty.mp4"
    (d / "text.mp4").write_text("this is not a video\n")
    out["text"] = d / "text.mp4"
    data = pristine.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    out["truncated"] = d / "truncated.mp4"
    np.save(d / "wrong_shape.npy", np.zeros((30, 478)))
    out["wrong_shape"] = d / "wrong_shape.npy"
    np.save(d / "wrong_scheme.npy", np.zeros((30, 68, 2)))
    out["wrong_scheme"] = d / "wrong_scheme.npy"
    return out


@pytest.fixture(scope="session")
def odd_videos(tmp_path_factory, odd_files, pristine_frames) -> dict[str, Path]:
    """Every kind of bad or unusual input `msi score` must handle, written once per session
    (:func:`odd_files` plus encoded ones: too short, one frame, grayscale; 4K is :func:`uhd_video`)."""
    import cv2

    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("odd")
    f = pristine_frames
    out = dict(odd_files)
    out["short"] = write_video(d / "short.mp4", f[:10], fps=25)  # < 14 frames: no full window
    out["one_frame"] = write_video(d / "one_frame.mp4", f[:1], fps=25)
    gray = np.stack([cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in f[:40]])
    out["gray"] = write_video(d / "gray.mkv", gray, fps=25, codec="ffv1", pix_fmt="gray")
    return out


@pytest.fixture(scope="session")
def uhd_video(tmp_path_factory, pristine_frames) -> Path:
    """A 4K (3840 x 2160) copy of carphone's first 16 frames: apart from :func:`odd_videos`, as it is
    most of their encoding time and only the batch of bad inputs reads it."""
    import cv2

    from msi.io.video import write_video

    big = (cv2.resize(x, (3840, 2160), interpolation=cv2.INTER_CUBIC) for x in pristine_frames[:16])
    # crf 40, not 28: 3.8 s of encoding CPU, not 5.4; the face is still found in all 16 frames (one
    # window, MSI-Lip 0.39 vs 0.29) and the frames are still downscaled for tracking
    return write_video(tmp_path_factory.mktemp("uhd") / "uhd.mp4", big, fps=25, crf=40)


@pytest.fixture(scope="session")
def talking_clip(tmp_path_factory):
    """A 4 s synthetic talking clip with espeak-ng speech (H.264 + AAC, 25 fps, 256 px) and its
    ground truth (.npz): the real clip has no audio, lip-sync metrics need one that speaks."""
    from generator.corpus.build import build_clip

    return build_clip(tmp_path_factory.mktemp("talking"), seconds=4.0, seed=0, size=256, name="talk")
