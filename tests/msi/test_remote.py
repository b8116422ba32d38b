"""Videos at URLs (msi.io.remote): a real S3 API server (moto's standalone server, a subprocess on
127.0.0.1, one per session) and s3fs / fsspec's HTTP driver over the loopback; real clips through
PyAV and the real tracker. A small TCP proxy between them cuts connections mid-video."""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from msi.io.inputs import expand_inputs
from msi.score import score_many
from msi.settings import Settings

boto3 = pytest.importorskip("boto3")  # moto[server] and s3fs are part of the [test] extra
import s3fs  # noqa: E402,F401  (missing it is a failure, not a skip)

BUCKET = "msi-clips"
SECRET = "s3cr3t-Pa55word"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start")


#: Where the proxy cuts a response: 8 kB in, so 7 409 of clip a's 19 298 bytes (38%) reach the
#: reader (measured: "received 7409 of 19298 bytes", with our retry turned off); the cut was at 20 kB
#: of its 33 kB when the clips had 40 frames. Mid-video either way; the tests assert that it cut.
CUT_AFTER = 8_000


@pytest.fixture(scope="session")
def clips(tmp_path_factory, pristine) -> Path:
    """Two short real clips (frames 0-19 and 60-79 of carphone: two MSI windows each; 19.3 and
    20.7 kB) in a folder. They are tracked a dozen times in this file (each URL test reads them
    again): a 20-frame clip scores in 0.6x the time of a 40-frame one."""
    from msi.io.video import read_frames, write_video

    d = tmp_path_factory.mktemp("remote-clips")
    frames = read_frames(pristine, limit=80)
    for name, part in (("a", frames[:20]), ("b", frames[60:80])):
        write_video(d / f"{name}.mp4", part, fps=25, threads=1)
    return d


@pytest.fixture(scope="session")
def s3(clips):
    """moto's S3 server on a free loopback port, the clips uploaded to s3://msi-clips/clips/."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        _wait_port(port, proc)
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        for f in sorted(clips.glob("*.mp4")):
            client.upload_file(str(f), BUCKET, f"clips/{f.name}")
        yield {"port": port, "client": client, "endpoint": env["AWS_ENDPOINT_URL"]}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="session")
def local(clips) -> dict:
    """The clips scored from local disk (into the session's cache): {file name: result}."""
    out = {Path(r.path).name: r for r in score_many(expand_inputs([str(clips)]), Settings(), cache=True)}
    assert all(r.error is None for r in out.values())
    return out


def _same(local_result, remote_result, cached: bool = False) -> None:
    """The same record (but the path, ``cached`` when it is the rerun, and ``declared_generated``,
    which a URL leaves unread: its manifest is not fetched for a column), bitwise equal timelines."""
    import pandas as pd

    a, b = local_result.to_dict(), remote_result.to_dict()
    assert a.pop("path") != b.pop("path")
    assert b.pop("cached") is cached
    a.pop("cached")
    assert a.pop("declared_generated") is False and b.pop("declared_generated") is None
    assert a == b
    pd.testing.assert_frame_equal(local_result.timeline, remote_result.timeline, check_exact=True)


@pytest.mark.slow
def test_a_bucket_folder_scores_bit_for_bit_like_local_disk_and_a_missing_key_is_an_error_row(s3, local, run_cli,
                                                                                             tmp_path):
    prefix = f"s3://{BUCKET}/clips"
    assert expand_inputs([prefix + "/"]) == expand_inputs([prefix]) == [f"{prefix}/a.mp4", f"{prefix}/b.mp4"]
    assert expand_inputs([f"{prefix}/b*.mp4"]) == [f"{prefix}/b.mp4"]
    remote = {Path(r.path).name: r for r in score_many(expand_inputs([prefix]), Settings(), cache=False)}
    assert set(remote) == set(local) == {"a.mp4", "b.mp4"}
    for name in local:
        _same(local[name], remote[name])
    # the command line: a folder URL and a key that is not there -> exit 1, one error row
    out = tmp_path / "scores.json"
    code, stdout, err = run_cli(["score", prefix + "/", f"{prefix}/missing.mp4", "--no-cache", "--json", "-q",
                                 "--out", out])
    rows = {Path(r["path"]).name: r for r in json.loads(stdout)}
    assert code == 1
    assert rows["missing.mp4"]["error_kind"] == "not_found" and "no such object" in rows["missing.mp4"]["error"]
    assert f"msi: error: {prefix}/missing.mp4: no such object" in err and "Traceback" not in err
    for name in local:
        assert rows[name]["msi_lip"] == local[name].msi_lip and rows[name]["msi_jaw"] == local[name].msi_jaw
    assert len(json.loads(out.read_text())) == 3


@pytest.mark.slow
def test_on_a_local_dask_cluster_workers_stream_the_urls_and_a_rerun_continues_from_the_cache(s3, local, tmp_path,
                                                                                             monkeypatch):
    from msi.cluster import score_cluster

    urls = expand_inputs([f"s3://{BUCKET}/clips/"]) + [f"s3://{BUCKET}/clips/missing.mp4"]
    # the client's own cache (not shared): workers send the landmarks and content hashes back. One
    # worker process (local:1): a second one cost its start-up (an interpreter importing msi, s3fs and
    # MediaPipe, building a tracker) to track one 20-frame clip, and checked nothing more
    monkeypatch.setenv("MSI_CACHE_DIR", str(tmp_path / "client-cache"))
    got = {Path(r.path).name: r for r in score_cluster(urls, Settings(), address="local:1", cache=True)}
    assert got["missing.mp4"].error_kind == "not_found"
    for name in local:
        _same(local[name], got[name])
        assert not got[name].cached
    # a rerun finds both videos in the client's cache by their ETag index: no cluster is needed
    # (this address has no scheduler: connecting would fail)
    again = {Path(r.path).name: r for r in score_cluster(urls, Settings(), address="tcp://127.0.0.1:9", cache=True)}
    assert all(again[n].cached for n in local) and again["missing.mp4"].error_kind == "not_found"
    for name in local:
        assert again[name].msi_lip == local[name].msi_lip


@pytest.mark.slow
def test_a_cache_folder_at_a_url_is_written_and_read_back(s3, local):
    url, cache = f"s3://{BUCKET}/clips/a.mp4", f"s3://{BUCKET}/msi-cache"
    (first,) = score_many([url], Settings(), cache=cache)
    (again,) = score_many([url], Settings(), cache=cache)
    assert not first.cached and again.cached
    _same(local["a.mp4"], again, cached=True)
    keys = [o["Key"] for o in s3["client"].list_objects_v2(Bucket=BUCKET, Prefix="msi-cache/")["Contents"]]
    assert any(k.endswith(".npz") for k in keys) and any(k.startswith("msi-cache/remote/") for k in keys)


class CuttingProxy:
    """TCP proxy on 127.0.0.1 to ``port``: the first ``cuts`` connections whose response
    passes ``after`` bytes are closed there, mid-body; later ones pass whole."""

    def __init__(self, port: int, after: int, cuts: int = 1, throttle: int = 0) -> None:
        self.target, self.after, self.left, self.cut = port, after, cuts, 0
        self.throttle, self.throttled = throttle, 0  # ranged GETs answered 503 SlowDown first
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(conn,), daemon=True).start()

    def _pipe(self, conn: socket.socket) -> None:
        first = conn.recv(65536)
        with self.lock:
            slow = self.throttle > 0 and first.startswith(b"GET ") and b"\r\nrange:" in first.lower()
            if slow:
                self.throttle -= 1
                self.throttled += 1
        if slow:  # what S3 answers when a prefix gets too many requests
            body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            conn.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            conn.close()
            return
        up = socket.create_connection(("127.0.0.1", self.target))
        up.sendall(first)
        threading.Thread(target=self._copy, args=(conn, up, None), daemon=True).start()
        self._copy(up, conn, self)

    def _copy(self, src: socket.socket, dst: socket.socket, watch) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if watch is not None and sent + len(data) > self.after:
                    with self.lock:
                        cut = self.left > 0
                        if cut:
                            self.left -= 1
                            self.cut += 1
                    if cut:
                        dst.sendall(data[:self.after - sent])
                        raise ConnectionResetError
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self.server.close()


@pytest.mark.slow
def test_a_connection_dropped_mid_video_is_retried_and_the_video_scored(s3, local, monkeypatch):
    """s3:// through a proxy that cuts the first long response mid-video: the same scores. botocore's
    and s3fs's own retries are turned down to one try here (s3fs's default alone would recover one
    cut), so ours is what reopens the read."""
    from msi.io import remote

    monkeypatch.setattr(remote, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setattr(s3fs.S3FileSystem, "retries", 1)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy = CuttingProxy(s3["port"], after=CUT_AFTER)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.port}")
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        (res,) = score_many([f"s3://{BUCKET}/clips/a.mp4"], Settings(), cache=False)
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        proxy.close()
    assert proxy.cut == 1
    assert res.error is None, res.error
    _same(local["a.mp4"], res)


@pytest.mark.slow
def test_throttling_is_retried_with_backoff_and_the_video_scored(s3, local, monkeypatch):
    """S3 answers 503 SlowDown to the first ranged reads; botocore's and s3fs's own retries are
    turned down to one try here, so ours does the retrying."""
    from msi.io import remote

    monkeypatch.setattr(remote, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setattr(s3fs.S3FileSystem, "retries", 1)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy = CuttingProxy(s3["port"], after=10 ** 9, cuts=0, throttle=2)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.port}")
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        (res,) = score_many([f"s3://{BUCKET}/clips/b.mp4"], Settings(), cache=False)
    finally:
        monkeypatch.setenv("AWS_ENDPOINT_URL", s3["endpoint"])
        s3fs.S3FileSystem.clear_instance_cache()
        proxy.close()
    assert proxy.throttled == 2
    assert res.error is None, res.error
    _same(local["b.mp4"], res)


@pytest.mark.slow
def test_a_connection_that_keeps_dropping_is_an_error_row_after_the_bounded_retry(s3, local, monkeypatch):
    """s3:// through a proxy that cuts every long response: s3fs's own retry (here 1 try) and
    then ours, RETRY_ATTEMPTS tries, then one line; the next video of the batch is still scored."""
    from msi.io import remote

    monkeypatch.setattr(remote, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setattr(s3fs.S3FileSystem, "retries", 1)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")  # botocore's own retry: one try (it is not ours)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy = CuttingProxy(s3["port"], after=CUT_AFTER, cuts=10 ** 6)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.port}")
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        (bad,) = score_many([f"s3://{BUCKET}/clips/a.mp4"], Settings(), cache=False)
    finally:
        monkeypatch.setenv("AWS_ENDPOINT_URL", s3["endpoint"])  # the server itself, no proxy
        s3fs.S3FileSystem.clear_instance_cache()
        proxy.close()
    assert bad.error_kind == "remote" and "\n" not in bad.error, bad.error
    assert f"failed after {remote.RETRY_ATTEMPTS} tries" in bad.error
    assert proxy.cut >= remote.RETRY_ATTEMPTS
    (good,) = score_many([f"s3://{BUCKET}/clips/b.mp4"], Settings(), cache=False)
    _same(local["b.mp4"], good)


@pytest.mark.slow
def test_a_url_with_credentials_never_appears_in_any_output(s3, local, run_cli, tmp_path, caplog):
    presigned = s3["client"].generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "clips/a.mp4"})
    assert "Signature" in presigned
    signature = presigned.split("Signature=")[1].split("&")[0]
    base = s3["endpoint"].split("//")[1]
    userinfo_missing = f"http://reader:{SECRET}@{base}/{BUCKET}/clips/missing.mp4?token={SECRET}"
    userinfo_good = f"http://reader:{SECRET}@{base}/{BUCKET}/clips/b.mp4"
    out, timeline = tmp_path / "scores.csv", tmp_path / "windows.csv"
    caplog.set_level(logging.DEBUG)
    code, stdout, err = run_cli(["score", presigned, userinfo_missing, userinfo_good, "--no-cache", "--out", out,
                                 "--timeline", timeline])
    assert code == 1  # the missing object
    texts = {"stdout": stdout, "stderr": err, "--out": out.read_text(), "--timeline": timeline.read_text(),
             "log": caplog.text}
    for where, text in texts.items():
        for secret in (SECRET, signature, "reader:", "X-Amz-", "AWSAccessKeyId"):
            assert secret not in text, (where, secret)
    assert f"http://{base}/{BUCKET}/clips/missing.mp4" in err  # named, redacted
    rows = {Path(r.split(",")[0]).name: r for r in texts["--out"].splitlines()[1:]}
    assert set(rows) == {"a.mp4", "b.mp4", "missing.mp4"}
    assert f"{local['a.mp4'].msi_lip}" in stdout or f"{local['a.mp4'].msi_lip:.4f}" in stdout


@pytest.mark.slow
def test_without_a_url_no_remote_package_is_imported(clips, local):
    """`msi score` of a local video (a cache hit: the session's cache has it) in a fresh interpreter."""
    code = ("import sys\nfrom msi.cli import main\ntry:\n    main(['score', sys.argv[1], '-q'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fsspec', 's3fs', 'aiohttp', 'aiobotocore', 'botocore', 'boto3', 'gcsfs')))")
    p = subprocess.run([sys.executable, "-c", code, str(clips / "a.mp4")], capture_output=True, text=True,
                       timeout=120)
    assert p.stdout.strip().splitlines()[-1] == "[]", p.stdout + p.stderr


def test_redaction_of_urls_in_text():
    from msi.io.remote import display_path, redact, redact_text

    assert redact("https://u:p@host:8/a/b.mp4?X-Amz-Signature=abc#2") == "https://host:8/a/b.mp4#2"
    assert display_path("clips/a.mp4") == "clips/a.mp4"
    msg = "ClientResponseError: 403, url='https://u:pw@h/x.mp4?sig=1&t=2' and s3://b/k?versionId=3 done"
    assert redact_text(msg) == "ClientResponseError: 403, url='https://h/x.mp4' and s3://b/k done"


@pytest.mark.slow
def test_compare_takes_folder_urls_and_pairs_their_videos_by_name(s3):
    from msi.comparison.compare import list_videos, parse_methods
    from msi.errors import UsageError

    dirs = parse_methods([f"ours=s3://{BUCKET}/clips", f"s3://{BUCKET}/clips/"])
    assert dirs["ours"] == f"s3://{BUCKET}/clips"
    assert list_videos(dirs["ours"]) == {"a": f"s3://{BUCKET}/clips/a.mp4", "b": f"s3://{BUCKET}/clips/b.mp4"}
    with pytest.raises(UsageError, match="not a folder"):
        parse_methods([f"x=s3://{BUCKET}/nothing-here"])
