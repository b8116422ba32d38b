"""SIGTERM (as a batch scheduler, ``docker stop`` or ``kill`` sends it) stops every long ``msi``
command like Ctrl-C: one line saying what was finished and where it is, the finished rows in
``--out`` (complete files), exit 143 (130 for Ctrl-C), no traceback, workers stopped; a rerun
completes from the landmark cache. Each command runs as a real subprocess and gets a real signal
(``os.kill``), at a known point of its batch; the rerun runs in this process (``rerun``)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]  # `python -m msi` from here imports this checkout's msi


def _clips(folder: Path, pristine: Path, frames: int) -> list[Path]:
    """Three real clips of ``frames`` frames with different bytes (from carphone's frames 0, 40 and
    80 on): three cache entries."""
    from msi.io.video import read_frames, write_video

    folder.mkdir()
    video = read_frames(pristine, limit=120)
    return [write_video(folder / f"v{i}.mp4", video[40 * i:40 * i + frames], fps=25, threads=1) for i in range(3)]


@pytest.fixture(scope="module")
def videos(tmp_path_factory, pristine) -> list[Path]:
    """40 frames each: where the stop comes at a point in time (a first row, a cache entry), what
    is left to track after it is the margin before the command would end by itself."""
    return _clips(tmp_path_factory.mktemp("signal-clips") / "40", pristine, 40)


@pytest.fixture(scope="module")
def short_videos(tmp_path_factory, pristine) -> list[Path]:
    """20 frames each (two MSI windows, finite scores): where the stop point does not depend on how
    long a video takes to track (an input that never answers, the report's build after the
    tracking, noise-floor's copies after the video). One scores in 0.6x a 40-frame clip's time
    (0.56 s against 0.93 s, score_video in one warm process, on a loaded machine)."""
    return _clips(tmp_path_factory.mktemp("signal-clips") / "20", pristine, 20)


def _env(cache: Path) -> dict:
    return {**os.environ, "MSI_CACHE_DIR": str(cache), "GLOG_minloglevel": "2", "PYTHONWARNINGS": "ignore"}


def _start(args: list, cache: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "msi", *map(str, args)], cwd=ROOT, env=_env(cache),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def rerun(run_cli, monkeypatch):
    """``rerun(args, cache)``: the rerun after the stop, in this process with the stopped process's
    cache (the signal handling is the subprocess's to show; a second interpreter start-up would add
    seconds and check nothing more) -> a CompletedProcess."""
    def run(args: list, cache: Path) -> subprocess.CompletedProcess:
        monkeypatch.setenv("MSI_CACHE_DIR", str(cache))
        code, out, err = run_cli(args)
        return subprocess.CompletedProcess(args, code, out, err)
    return run


def _wait_until(cond, p: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert p.poll() is None, f"finished before the signal: {p.communicate()}"
        assert time.monotonic() < end, "the known point was never reached"
        time.sleep(0.05)


def _stop(p: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str]:
    os.kill(p.pid, sig)
    _, err = p.communicate(timeout=120)
    return p.returncode, err


def _the_line(err: str, prog: str = "msi") -> str:
    """The one line the stop printed (and no traceback around it)."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith(f"{prog}: ")]
    assert len(lines) == 1, err
    return lines[0]


def _cache_entries(cache: Path) -> int:
    """The videos tracked so far: the landmark cache's entries (not compare's feature cache)."""
    return len([p for p in cache.glob("**/*.npz") if "features" not in p.relative_to(cache).parts])


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc): the workers a command started."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


class _Silent:
    """A loopback listener that accepts connections and never answers: an input that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []

    def accepted(self) -> bool:
        try:
            self.conns.append(self.sock.accept()[0])
        except (TimeoutError, socket.timeout):
            pass
        return bool(self.conns)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


# ----------------------------------------------------------------------------- the helper


def test_a_second_signal_ends_at_once_and_handlers_come_back(tmp_path):
    """The first SIGTERM is KeyboardInterrupt (cleanup runs); a second one during the cleanup exits
    at once with 143; after the block the previous handler is back."""
    script = textwrap.dedent("""
        import signal, sys, time
        from msi.cli.signals import stop_on_signals, stopped_by
        before = signal.getsignal(signal.SIGTERM)
        with stop_on_signals("demo"):
            try:
                print("running", flush=True)
                time.sleep(60)
            except KeyboardInterrupt:
                print("cleanup", stopped_by() == signal.SIGTERM, flush=True)
                time.sleep(60)  # a slow cleanup: the second signal must not wait for it
        print("after", signal.getsignal(signal.SIGTERM) is before, flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline() == "running\n"
    os.kill(p.pid, signal.SIGTERM)
    assert p.stdout.readline() == "cleanup True\n"
    t0 = time.monotonic()
    os.kill(p.pid, signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert time.monotonic() - t0 < 10 and p.returncode == 143
    assert err == "demo: SIGTERM again, stopped at once\n" and "after" not in out
    # without a signal: the previous handler is restored
    p = subprocess.run([sys.executable, "-c", script.replace("time.sleep(60)  #", "pass  #").replace(
        "time.sleep(60)", "pass")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.stdout.splitlines()[-1] == "after True", p.stderr


def test_run_group_exit_codes_tell_sigterm_from_ctrl_c(capsys):
    """An Interrupted raised by a command carries what it kept into the one line."""
    import click

    from msi.cli.lazy import LazyGroup, run_group
    from msi.errors import Interrupted

    @click.group(cls=LazyGroup)
    def demo():
        pass

    @demo.command("stop")
    @click.option("--term", is_flag=True)
    def stop(term: bool):
        if term:
            os.kill(os.getpid(), signal.SIGTERM)  # delivered to this (the main) thread at once
            time.sleep(5)
        raise Interrupted("2 of 3 inputs finished")

    assert run_group(demo, "demo", ["stop"]) == 130
    assert capsys.readouterr().err == "demo: interrupted; 2 of 3 inputs finished\n"
    before = signal.getsignal(signal.SIGTERM)
    assert run_group(demo, "demo", ["stop", "--term"], interrupted="interrupted (rerun to continue)") == 143
    assert capsys.readouterr().err == "demo: stopped by SIGTERM (rerun to continue)\n"
    assert signal.getsignal(signal.SIGTERM) is before


# ----------------------------------------------------------------------------- msi score


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                             (signal.SIGINT, 130, "interrupted")])
def test_score_stopped_after_2_of_3_inputs_keeps_their_rows_and_the_rerun_is_cached(short_videos, tmp_path, sig,
                                                                                    code, word, rerun):
    """The third input is a URL whose server never answers: the command is stopped exactly after
    the first two finished (however long they took: short clips do)."""
    videos = short_videos
    cache, out, timeline = tmp_path / "cache", tmp_path / "batch.csv", tmp_path / "windows.csv"
    server = _Silent()
    try:
        p = _start(["score", videos[0], videos[1], f"http://127.0.0.1:{server.port}/v.mp4", "--out", out,
                    "--timeline", timeline, "-q"], cache)
        _wait_until(server.accepted, p)  # 2 of 3 done: the batch is waiting for the third
        rc, err = _stop(p, sig)
    finally:
        server.close()
    assert rc == code
    line = _the_line(err)
    assert line == (f"msi: {word}; 2 of 3 inputs finished; their rows are in {out} and {timeline}; "
                    "their landmarks are in the cache: a rerun tracks only the rest")
    rows = pd.read_csv(out)
    assert list(rows["path"]) == [str(videos[0]), str(videos[1])] and rows["msi_lip"].notna().all()
    assert set(pd.read_csv(timeline)["path"]) == {str(videos[0]), str(videos[1])}
    assert not list(tmp_path.glob("*.tmp"))
    # the rerun: the finished two come from the cache
    r = rerun(["score", videos[0], videos[1], "--json", "-q"], cache)
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)
    assert [x["cached"] for x in again] == [True, True]
    assert [x["msi_lip"] for x in again] == pytest.approx(list(rows["msi_lip"]))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["workers", "cluster"])
def test_score_stopped_mid_batch_keeps_the_finished_rows_and_stops_its_workers(videos, tmp_path, how, rerun):
    """--workers 2, or a local Dask cluster: SIGTERM once the first row reached --out; the line's
    count is the rows in --out, no worker process is left, the rerun finishes from the cache."""
    if how == "cluster":
        pytest.importorskip("distributed")
    cache, out = tmp_path / "cache", tmp_path / "batch.json"
    extra = ["--workers", "2"] if how == "workers" else ["--cluster", "local:1", "--cache-dir", cache]
    p = _start(["score", *videos, "--out", out, "-q", *extra], cache)
    _wait_until(out.is_file, p)  # written after the first result, then every few seconds
    workers = _descendants(p.pid)
    assert workers  # the pool's (or the cluster's) processes
    rc, err = _stop(p)
    assert rc == 143
    line = _the_line(err)
    assert line.startswith("msi: stopped by SIGTERM; ") and f"their rows are in {out}" in line
    done = int(line.split("; ")[1].split(" of ")[0])
    assert line.split("; ")[1] == f"{done} of 3 inputs finished"
    rows = json.loads(out.read_text())  # a complete, valid file
    assert len(rows) == done >= 1 and all(r["error"] is None for r in rows)
    gone_by = time.monotonic() + 1  # the workers are gone within a second of the command's end
    while _alive(workers) and time.monotonic() < gone_by:
        time.sleep(0.05)
    assert not _alive(workers), "worker processes outlived the command"
    # the rerun: --workers 2 again (its workers read the stopped pool's entries); after the cluster,
    # in this process with the same cache folder: a cluster's rerun scores cached inputs on the
    # client in any case (msi.cluster._runs_on_client, the same lookup), and sending only the
    # unfinished ones to a cluster is test_cluster.py's killed-client rerun; a second LocalCluster
    # here cost 3-6 s and checked nothing more about the stop
    r = rerun(["score", *videos, "--json", "-q", *(extra if how == "workers" else ["--cache-dir", cache])], cache)
    assert r.returncode == 0, r.stderr
    cached = {x["path"] for x in json.loads(r.stdout) if x["cached"]}
    assert {x["path"] for x in rows} <= cached


# ----------------------------------------------------------------------------- compare, report, noise-floor


def _methods(videos: list[Path], tmp_path: Path) -> dict[str, Path]:
    """Two methods of two videos each (four different clips: four cache entries)."""
    from msi.io.video import read_frames, write_video

    dirs = {m: tmp_path / m for m in ("a", "b")}
    for d in dirs.values():
        d.mkdir()
    (dirs["a"] / "x.mp4").write_bytes(videos[0].read_bytes())
    (dirs["a"] / "y.mp4").write_bytes(videos[1].read_bytes())
    (dirs["b"] / "x.mp4").write_bytes(videos[2].read_bytes())
    write_video(dirs["b"] / "y.mp4", read_frames(videos[0])[::-1], fps=25, threads=1)
    return dirs


@pytest.fixture
def methods(videos, tmp_path) -> dict[str, Path]:
    return _methods(videos, tmp_path)


@pytest.fixture
def short_methods(short_videos, tmp_path) -> dict[str, Path]:
    return _methods(short_videos, tmp_path)


@pytest.mark.slow
def test_compare_stopped_mid_batch_writes_the_finished_rows(methods, tmp_path, rerun):
    cache, out = tmp_path / "cache", tmp_path / "rows.csv"
    p = _start(["compare", *(f"{m}={d}" for m, d in methods.items()), "--out", out, "-q"], cache)
    # one worker, one job per utterance (x: a/x and b/x, then y): --out is first written once x's
    # rows are done (finished rows are written at most every second, the first after a second), so
    # the stop comes with all of y's job still to do: both its videos tracked and its columns (it
    # came at a third cache entry, with only b/y left: half this margin, and later)
    _wait_until(out.is_file, p)
    rc, err = _stop(p)
    assert rc == 143
    line = _the_line(err)
    done = int(line.split("; ")[1].split(" of ")[0])
    assert line == (f"msi: stopped by SIGTERM; {done} of 4 videos finished; their rows are in {out}; "
                    "their landmarks are in the cache: a rerun tracks only the rest")
    rows = pd.read_csv(out)
    assert 1 <= done < 4 and len(rows) == done and rows["msi_lip"].notna().all(), rows.get("error")
    # one worker: one job per utterance, in the inputs' order, each job's rows in the methods' order
    utterances = [str(methods[m] / f"{v}.mp4") for v in "xy" for m in "ab"]
    assert list(rows["path"]) == utterances[:done]
    r = rerun(["compare", *(f"{m}={d}" for m, d in methods.items()), "--out", out, "-q"], cache)
    assert r.returncode == 0, r.stderr
    full = pd.read_csv(out)
    assert list(full["path"]) == [str(methods[m] / f"{v}.mp4") for m in "ab" for v in "xy"]  # the table's order
    pd.testing.assert_series_equal(full.set_index("path").loc[rows["path"], "msi_lip"], rows.set_index("path")["msi_lip"])


@pytest.mark.slow
def test_report_stopped_mid_batch_writes_no_half_report_and_the_rerun_reuses_the_cache(short_methods, tmp_path,
                                                                                       rerun):
    methods = short_methods  # after the second entry: two videos to track and the whole page to build
    cache, out = tmp_path / "cache", tmp_path / "report"
    args = ["report", *(f"{m}={d}" for m, d in methods.items()), "--out", out, "-q"]
    p = _start(args, cache)
    _wait_until(lambda: _cache_entries(cache) >= 2, p)
    rc, err = _stop(p)
    assert rc == 143
    line = _the_line(err)
    assert line == (f"msi: stopped by SIGTERM; no report written to {out} (the report is written whole or not "
                    "at all); the landmarks tracked so far are in the cache: a rerun tracks only the rest")
    assert not out.exists() and not list(tmp_path.glob(".report.partial-*"))
    kept = {f: f.stat().st_mtime_ns for f in cache.glob("**/*.npz")}
    r = rerun(args, cache)
    assert r.returncode == 0, r.stderr
    assert (out / "index.html").is_file()
    assert all(f.stat().st_mtime_ns == t for f, t in kept.items())  # not tracked again


@pytest.mark.slow
def test_noise_floor_stopped_after_the_video_was_tracked_says_the_cache_has_it(short_videos, tmp_path, rerun):
    cache = tmp_path / "cache"
    # after the video: its still copy and two re-encoded copies to encode and track
    args = ["noise-floor", short_videos[0], "--repeats", "2", "--anchors", "1"]
    p = _start(args, cache)
    _wait_until(lambda: _cache_entries(cache) >= 1, p)  # the video itself is tracked (and cached) first
    rc, err = _stop(p)
    assert rc == 143
    assert _the_line(err) == ("msi: stopped by SIGTERM; nothing printed; the video's landmarks are in the cache, "
                              "a rerun tracks only its still and re-encoded copies")
    entry = next(cache.glob("**/*.npz"))
    before = entry.stat().st_mtime_ns
    r = rerun(args, cache)
    assert r.returncode == 0, r.stderr
    assert "floor (resolvable dMSI)" in r.stdout and entry.stat().st_mtime_ns == before
