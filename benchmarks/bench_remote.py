"""Videos from S3 over the loopback against the same videos on local disk, side by side in one run.

A real S3 API server (moto's standalone server, ``python -m moto.server``, a subprocess on
127.0.0.1) holds --videos real videos (carphone_pristine.mp4 resized to 256x256 and looped to
--frames frames, each starting at another frame); the same files sit in a local folder. Each
round, alternating the order, measures for both sources:

  1. decode: every frame through PyAV (``msi.io.video.iter_frames``): the reading path alone;
  2. score: ``msi.score.score_many`` (tracking included, cache off): what ``msi score`` runs.

Each mode's best round counts. Printed: seconds, frames/s and MB/s per source, and the ratio
remote/local (1.0 = as fast as local disk). Also: the bytes a remote video's content hash had
to read beyond what the decoder read (0 when the decoder read the file in order to its end),
and the client's peak RSS. Loopback has no real network latency: this measures the overhead of
the S3 protocol, s3fs and the file-object path through PyAV, not a data centre's bandwidth.

    python benchmarks/bench_remote.py [--videos 4] [--frames 250] [--repeat 2]
"""
from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUCKET = "msi-bench"


def make_videos(tmp: Path, n: int, frames: int, side: int = 256) -> list[Path]:
    import cv2

    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video

    src = np.stack([cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA)
                    for f in read_frames(sample_path("carphone_pristine.mp4"))])
    loop = np.concatenate([src, src[::-1]] * (frames // (2 * len(src)) + 2))
    step = max(1, len(src) // n)
    return [write_video(tmp / f"talk_{i}.mp4", loop[i * step: i * step + frames], fps=25) for i in range(n)]


def start_moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("moto server did not start")


def decode_all(paths: list[str]) -> int:
    from msi.io.video import iter_frames

    return sum(sum(1 for _ in iter_frames(p)) for p in paths)


def score_all(paths: list[str]) -> int:
    from msi.score import score_many
    from msi.settings import Settings

    results = list(score_many(paths, Settings(), cache=False))
    bad = [r for r in results if r.error]
    if bad:
        raise SystemExit(f"{bad[0].path}: {bad[0].error}")
    return sum(r.frames for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()
    proc, endpoint = start_moto()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=endpoint)
    try:
        with tempfile.TemporaryDirectory(prefix="msi-bench-remote-") as tmp:
            run(Path(tmp), args)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run(tmp: Path, args) -> None:
    import boto3

    from msi.io.cache import file_sha256
    from msi.io.remote import RemoteSource
    from msi.io.inputs import expand_inputs

    files = make_videos(tmp, args.videos, args.frames)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    for f in files:
        client.upload_file(str(f), BUCKET, f"clips/{f.name}")
    local = [str(f) for f in files]
    remote = expand_inputs([f"s3://{BUCKET}/clips/"])
    assert len(remote) == len(local), remote
    mb = sum(f.stat().st_size for f in files) / 1e6

    # the content hash of a streamed video: what it read beyond the decoder's own reads
    extra = []
    for f, url in zip(local, remote):
        src = RemoteSource(url)
        from msi.io.video import iter_frames

        for _ in iter_frames(src):
            pass
        covered = src.hashed_bytes
        assert src.content_hash() == file_sha256(f)
        extra.append(src.size - covered)

    best: dict[tuple[str, str], float] = {}
    frames: dict[str, int] = {}
    for r in range(args.repeat):
        order = (("local", local), ("s3", remote)) if r % 2 == 0 else (("s3", remote), ("local", local))
        for mode, fn in (("decode", decode_all), ("score", score_all)):
            for source, paths in order:
                t = time.perf_counter()
                frames[mode] = fn(paths)
                dt = time.perf_counter() - t
                best[mode, source] = min(dt, best.get((mode, source), float("inf")))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.videos} videos x {args.frames} frames (256x256 H.264, {mb:.1f} MB in all), best of {args.repeat} "
          f"rounds, S3 = moto over loopback")
    print(f"{'mode':<8}{'source':<8}{'seconds':>9}{'frames/s':>10}{'MB/s':>8}{'s3/local':>10}")
    for mode in ("decode", "score"):
        for source in ("local", "s3"):
            dt = best[mode, source]
            ratio = best[mode, "local"] / dt  # throughput ratio: s3's over local's
            print(f"{mode:<8}{source:<8}{dt:9.2f}{frames[mode] / dt:10.1f}{mb / dt:8.1f}"
                  f"{'' if source == 'local' else f'{ratio:10.2f}'}")
    print(f"content hash: {sum(extra)} bytes read beyond the decoder's reads over {args.videos} videos "
          f"(of {int(mb * 1e6)}); client peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
