"""`msi study serve` against slow clients, beside waitress tuned as far as its settings go: why
the study's server is Tornado's.

Each server serves the same study app (msi.study.server.create_app) on loopback, in its own
process. N clients open a connection each and send a request one byte every second, never
finishing it (half of them a request head, half a body after a complete head). Meanwhile a
normal client GETs a page file five times; the table gives its slowest answer (10 s: no answer,
timed out), and how many of the slow connections the server had closed after --hold seconds.

* ``tornado``: `msi study serve --timeout 10` (the defaults): a head and a body each must arrive
  within 10 s of their first byte.
* ``waitress``: waitress 3 with ``connection_limit`` raised to 4096, ``asyncore_use_poll`` (no
  select() limit of 1024 descriptors), ``channel_timeout=10`` and ``cleanup_interval=1``: its
  timeout counts only time *without* a byte, so a trickling client is never closed, and once
  ``connection_limit`` clients trickle no one else is accepted. (Its defaults, limit 100 and
  timeout 120 s, stop at 100 clients.) Needs waitress installed; it is no dependency of msi.

    python benchmarks/bench_study_server.py [--clients 200 1100 4200] [--hold 15]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "msi"))

WAITRESS = """
import sys
from waitress import serve
from msi.study.server import create_app, prepare
manifest, store, _, _ = prepare(sys.argv[1], 2)
print("ready", flush=True)
serve(create_app(manifest, store), host="127.0.0.1", port=int(sys.argv[2]), threads=8, connection_limit=4096,
      asyncore_use_poll=True, channel_timeout=10, cleanup_interval=1, backlog=1024, _quiet=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind: str, study: Path) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port = free_port()
    if kind == "tornado":
        cmd = [sys.executable, "-m", "msi", "study", "serve", str(study), "--port", str(port)]
        ready = "serving"
    else:
        cmd = [sys.executable, "-c", WAITRESS, str(study), str(port)]
        ready = "ready"
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    assert ready in p.stdout.readline(), p.stderr.read() if p.poll() is not None else ""
    for _ in range(300):  # until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert p.poll() is None, p.stderr.read()
            time.sleep(0.1)
    return p, port


def slow_clients(port: int, n: int) -> list[socket.socket]:
    socks = []
    for k in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /api/answer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{" if k % 2
                      else b"GET / HTTP/1.1\r\nX-Slow: ")
        except OSError:  # not accepted in time (waitress at its limit)
            s = None
        socks.append(s)
    return [s for s in socks if s is not None]


def is_closed(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def run(kind: str, study: Path, n: int, hold: float) -> tuple[float, int, int]:
    p, port = start(kind, study)
    stop = threading.Event()
    try:
        socks = slow_clients(port, n)

        def trickle() -> None:
            while not stop.wait(1.0):
                for s in socks:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass

        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        worst = 0.0
        t_end = time.monotonic() + hold
        for _ in range(5):
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/page/study.css", timeout=10) as r:
                    r.read()
                worst = max(worst, time.monotonic() - t0)
            except OSError:
                worst = 10.0
            time.sleep(max(0.0, (t_end - time.monotonic()) / 5))
        time.sleep(max(0.0, t_end - time.monotonic()))
        closed = sum(is_closed(s) for s in socks)
        return worst, len(socks), closed
    finally:
        stop.set()
        os.killpg(p.pid, 9)
        p.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[200, 1100, 4200])
    ap.add_argument("--hold", type=float, default=15.0, help="seconds the slow clients trickle")
    args = ap.parse_args()
    from study_helpers import make_methods, run_msi

    with tempfile.TemporaryDirectory() as tmp:
        dirs = make_methods(Path(tmp) / "methods", utterances=1, frames=9)
        r = run_msi("study", "make", *(f"{m}={d}" for m, d in dirs.items()), "--raters", "2", "--out", Path(tmp) / "s")
        assert r.returncode == 0, r.stderr
        print(f"| slow clients | server | slowest of 5 GETs | connected | closed by the server after {args.hold:.0f} s |")
        print("|---:|---|---:|---:|---:|")
        for n in args.clients:
            for kind in ("tornado", "waitress"):
                worst, connected, closed = run(kind, Path(tmp) / "s", n, args.hold)
                shown = "no answer (10 s)" if worst >= 10 else f"{worst * 1000:.0f} ms"
                print(f"| {n} | {kind} | {shown} | {connected} | {closed} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
