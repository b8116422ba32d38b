"""A remote read that fails names its cause in one line (msi.io.remote.as_msi_error): each cause
made for real on the loopback (a closed port, a listener that never answers, a TLS listener with a
self-signed certificate, an HTTP server's 403/404/503, moto's S3 server's 403/404, an S3 stand-in's
503) and read through the command line; URLs stay redacted."""
from __future__ import annotations

import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SECRET = "s3cr3t-Pa55word"


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    """Short timeouts and two tries: every cause is reached in about a second."""
    monkeypatch.setenv("MSI_REMOTE_TIMEOUT", "0.5")
    monkeypatch.setenv("MSI_REMOTE_TRIES", "2")
    from msi.io import remote

    monkeypatch.setattr(remote, "RETRY_BASE_DELAY", 0.05)


def _error_line(run_cli, url: str, kind: str) -> str:
    """Score ``url`` in-process: exit 1, the error row's kind, and the one error line."""
    import json

    code, out, err = run_cli(["score", url, "--no-cache", "--json", "-q"])
    assert code == 1 and "Traceback" not in err, err
    (row,) = json.loads(out)
    assert row["error_kind"] == kind, row
    lines = [ln for ln in err.splitlines() if ln.startswith("msi: error: ")]
    assert len(lines) == 1, err
    assert SECRET not in err and SECRET not in out
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


class _Listener:
    """A TCP listener on the loopback: ``tls`` wraps each connection with a self-signed certificate;
    otherwise connections are accepted and never answered."""

    def __init__(self, cert: tuple[Path, Path] | None = None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        if cert is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*map(str, cert))
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.ctx is not None:
                try:
                    self.ctx.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):
                    pass

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed (made with `cryptography`)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    d = tmp_path_factory.mktemp("tls")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return d / "cert.pem", d / "key.pem"


class _Status(http.server.BaseHTTPRequestHandler):
    """Answers every request with the status its path names (/403/v.mp4 -> 403) and records each
    request's method."""

    hits: list[str] = []

    def do_HEAD(self) -> None:
        type(self).hits.append(self.command)
        self.send_response(int(self.path.split("/")[1]))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def http_status():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------- connections


def test_a_closed_port_is_connection_refused_not_a_missing_object(run_cli, monkeypatch):
    """The issue's example, as a user runs it: `msi score http://127.0.0.1:PORT/v.mp4` (in this
    process: the command's output is under test, not its process; an interpreter start-up cost 1 s)."""
    port = _closed_port()
    monkeypatch.setenv("MSI_REMOTE_TIMEOUT", "1")  # and 2 tries (`quick`)
    code, _, err = run_cli(["score", f"http://127.0.0.1:{port}/v.mp4", "-q"])
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (f"msi: error: http://127.0.0.1:{port}/v.mp4: connection refused (nothing listens at "
                           "that host and port?) after 2 tries")
    assert "no such object" not in err


def test_a_name_that_does_not_resolve(run_cli):
    line = _error_line(run_cli, f"http://reader:{SECRET}@no-such-host.invalid/v.mp4?sig={SECRET}", "remote")
    assert line == "msi: error: http://no-such-host.invalid/v.mp4: host name not resolved (DNS)"  # not retried


def test_a_listener_that_never_answers_times_out_after_the_configured_timeout(run_cli, monkeypatch):
    # nothing ever answers here, so a shorter timeout cannot be reached by a slow answer: 2 tries of
    # 0.2 s wait 0.6 s less than of 0.5 s
    monkeypatch.setenv("MSI_REMOTE_TIMEOUT", "0.2")
    silent = _Listener()
    try:
        t0 = time.monotonic()
        line = _error_line(run_cli, f"http://127.0.0.1:{silent.port}/v.mp4", "remote")
        took = time.monotonic() - t0
    finally:
        silent.close()
    assert line == f"msi: error: http://127.0.0.1:{silent.port}/v.mp4: timed out (no answer within 0.2 s) after 2 tries"
    assert took < 15  # the timeout applies (without it the driver waits for minutes)
    assert len(silent.conns) >= 2  # really tried twice


def test_a_self_signed_certificate_is_a_tls_error(run_cli, self_signed):
    tls = _Listener(self_signed)
    try:
        line = _error_line(run_cli, f"https://127.0.0.1:{tls.port}/v.mp4", "remote")
    finally:
        tls.close()
    assert line == (f"msi: error: https://127.0.0.1:{tls.port}/v.mp4: TLS error (certificate verify failed: "
                    "self-signed certificate): the server's certificate or TLS setup is not accepted")  # not retried


# ----------------------------------------------------------------------------- HTTP answers


@pytest.mark.parametrize("status, kind, words, tries", [
    (403, "access_denied", "access denied (HTTP 403); credentials come from the store's usual sources "
                           "(environment, config files)", 1),
    (404, "not_found", "no such object (HTTP 404)", 1),
    (503, "remote", "server error (HTTP 503) after 2 tries", 2),
])
def test_http_answers_are_named_by_their_status(run_cli, http_status, status, kind, words, tries):
    _Status.hits.clear()
    url = f"http://{http_status}/{status}/v.mp4"
    assert _error_line(run_cli, url, kind) == f"msi: error: {url}: {words}"
    # each try opens the file once: fsspec asks HEAD, then GET when HEAD fails (so 403 and 404 are
    # asked once, not retried; 503 twice)
    assert _Status.hits == ["HEAD", "GET"] * tries


# ----------------------------------------------------------------------------- S3 (moto's server)


def _moto(env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """A moto server starting on a free loopback port (:func:`_up` waits for it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def _up(proc: subprocess.Popen, port: int) -> None:
    end = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            assert proc.poll() is None and time.monotonic() < end, "moto server did not start"
            time.sleep(0.05)


@pytest.fixture
def s3_at(monkeypatch):
    """Point s3fs at an endpoint: ``s3_at(port)``; the bucket 'clips' is made when ``bucket``."""
    s3fs = pytest.importorskip("s3fs")
    boto3 = pytest.importorskip("boto3")
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(k, v)  # botocore's own retry: one try, so ours is what is counted
    monkeypatch.setattr(s3fs.S3FileSystem, "retries", 1)

    def at(port: int, bucket: bool = False) -> None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        s3fs.S3FileSystem.clear_instance_cache()
        if bucket:
            boto3.client("s3").create_bucket(Bucket="clips")

    yield at
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.mark.slow
def test_s3_404_and_403_from_moto(run_cli, s3_at):
    # both servers start at once: the second one's start-up (an interpreter importing moto) runs
    # while the first one answers
    (proc, port), (proc_auth, port_auth) = _moto(), _moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        _up(proc, port)
        s3_at(port, bucket=True)
        # s3fs answers a 404 (after looking for a folder of that name too) without its status
        assert _error_line(run_cli, "s3://clips/missing.mp4", "not_found") == \
            "msi: error: s3://clips/missing.mp4: no such object"
        # moto with authentication on: the key 'testing' is unknown to it, every request is refused
        _up(proc_auth, port_auth)
        s3_at(port_auth)
        line = _error_line(run_cli, "s3://clips/v.mp4", "access_denied")
    finally:
        for p in (proc, proc_auth):
            p.terminate()
            p.wait(timeout=10)
    assert line.startswith("msi: error: s3://clips/v.mp4: access denied (HTTP 403")
    assert line.endswith("credentials come from the store's usual sources (environment, config files)")


def test_s3_503_slowdown_from_a_stand_in_endpoint_is_retried(run_cli, s3_at):
    """503 SlowDown is what S3 answers under too many requests; moto's server cannot be made to
    answer it, so a stand-in endpoint (no moto behind it) answers every request with it."""
    stand_in = _SlowDown()
    try:
        s3_at(stand_in.port)
        line = _error_line(run_cli, "s3://clips/missing.mp4", "remote")
    finally:
        stand_in.close()
    assert line == "msi: error: s3://clips/missing.mp4: server error (HTTP 503) after 2 tries"
    # two tries of ours; s3fs asks HEAD twice in each (measured), nothing else
    assert stand_in.hits == ["HEAD /clips/missing.mp4"] * 4


class _SlowDown:
    """An S3 endpoint that answers every request 503 SlowDown, as S3 does under too many requests."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.hits: list[str] = []  # 'METHOD /path' of each request
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                method, target = conn.recv(65536).split(b" ", 2)[:2]
                head = method == b"HEAD"
                self.hits.append(f"{method.decode()} {target.decode().split('?')[0]}")
                conn.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + (b"" if head else body))

    def close(self) -> None:
        self.sock.close()


def test_a_bad_timeout_setting_is_one_line(run_cli, monkeypatch):
    monkeypatch.setenv("MSI_REMOTE_TIMEOUT", "soon")
    line = _error_line(run_cli, "http://127.0.0.1:9/v.mp4", "remote")
    assert line == "msi: error: http://127.0.0.1:9/v.mp4: MSI_REMOTE_TIMEOUT=soon: expected a number of at least 0.001"
