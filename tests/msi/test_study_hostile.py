"""``msi study serve`` and ``msi study make`` under hostile input, as a real server process on
loopback with real sockets: links out of the study are 404 and leak nothing, deep or oversized
bodies get a JSON 4xx, 200 slow clients do not keep a normal GET from answering, colliding
video names are refused, SIGTERM prints one line and exits 143, any study name downloads."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from study_helpers import Server, make_methods, make_study, run_msi

pytestmark = pytest.mark.slow

SECRET = "SECRET-4f1c0d outside the study"


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    root = tmp_path_factory.mktemp("hostile")
    dirs = make_methods(root / "methods", utterances=2, frames=9)
    dirs = {m: d for m, d in dirs.items() if m != "frozen"}
    make_study(*(f"{m}={d}" for m, d in dirs.items()), "--raters", "2", "--attention", "1", "--out", root / "研究")
    return root / "研究", dirs


def fresh(made, tmp_path: Path, name: str = "study") -> Path:
    study = tmp_path / name
    shutil.copytree(made[0], study, ignore=shutil.ignore_patterns("server"))
    return study


def raw(server: Server, data: bytes, timeout: float = 20) -> tuple[int, dict, bytes]:
    """Send ``data`` as it is on one connection; (status, headers, body) of the answer."""
    host, port = server.url.split("//")[1].strip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        head, body = got.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        while len(body) < int(headers.get("content-length", 0)):
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split()[1]), headers, body


def get(url: str, headers=None, timeout: float = 20) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def post(server: Server, body: bytes) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(f"{server.url}api/answer", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_links_out_of_the_study_are_404_and_leak_nothing(made, tmp_path):
    study = fresh(made, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mp4").write_text(SECRET)
    real = study / "videos" / "real"
    os.symlink(outside / "secret.mp4", real / "absolute.mp4")  # absolute link out
    os.symlink("../../../outside/secret.mp4", real / "relative.mp4")  # relative link out
    os.symlink(outside, study / "videos" / "linked")  # a linked folder
    os.symlink("../../study.json", real / "manifest.mp4")  # the study's own files outside videos/
    os.symlink("u0.mp4", real / "alias.mp4")  # a link that stays inside videos/: served
    os.mkfifo(real / "fifo.mp4")  # never opened: a read would hang a thread
    s = Server(study)
    try:
        os.symlink(study / "server" / "links.csv", real / "tokens.mp4")
        os.symlink("../../server/answers.sqlite", real / "answers.mp4")
        os.link(study / "server" / "links.csv", real / "hardlink.mp4")  # the tokens under a second name
        token = s.token("r01")
        for path in ("absolute.mp4", "relative.mp4", "manifest.mp4", "tokens.mp4", "answers.mp4", "hardlink.mp4",
                     "fifo.mp4", "../linked/secret.mp4"):
            code, body, headers = get(f"{s.url}videos/real/{path}", timeout=5)
            assert code == 404 and json.loads(body) == {"error": "not found"}, (path, code, body[:80])
            assert SECRET.encode() not in body and token.encode() not in body
        code, body, _ = get(f"{s.url}videos/linked/secret.mp4")
        assert code == 404 and SECRET.encode() not in body
        for path in ("/videos/real/../../study.json", "/videos/%2e%2e/%2e%2e/server/links.csv", "/page/../server/links.csv",
                     "/videos/linked/secret.mp4", "/videos/real/absolute.mp4"):
            code, _, body = raw(s, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            assert code == 404 and SECRET.encode() not in body and token.encode() not in body, path
        assert get(f"{s.url}videos/real/alias.mp4")[0] == 200
        assert get(f"{s.url}videos/real/u0.mp4")[1] == (real / "u0.mp4").read_bytes()
        assert s.alive()
    finally:
        s.kill()


def test_make_copies_a_linked_input(made, tmp_path, run_cli):
    """A video that is a link to a file elsewhere becomes the study's own copy, not a link."""
    dirs = {m: tmp_path / m for m in made[1]}
    for m, d in dirs.items():
        d.mkdir()
        os.symlink(made[1][m] / "u0.mp4", d / "u0.mp4")
    code, _, err = run_cli(["study", "make", *(f"{m}={d}" for m, d in dirs.items()), "--raters", "1",
                            "--attention", "0", "--out", tmp_path / "study"])
    assert code == 0, err
    copy = tmp_path / "study" / "videos" / "real" / "u0.mp4"
    assert not copy.is_symlink() and os.stat(copy).st_nlink == 1
    assert copy.read_bytes() == (made[1]["real"] / "u0.mp4").read_bytes()


def test_deep_and_oversized_bodies_get_a_json_4xx(made):
    s = Server(made[0])
    try:
        token = s.token("r01")
        cases = {
            "10,000 deep": (b"[" * 10_000 + b"]" * 10_000, 413),  # 20 KB: over the 16 KB limit
            "7,000 deep, 14 KB": (b"[" * 7000 + b"]" * 7000, 400),
            "5,000 deep objects": (b'{"a":' * 2500 + b"1" + b"}" * 2500, 400),
            "2,500 deep answers": (('{"t": "%s", "seq": 1, "answers": {"motion_stability": %s1%s}}'
                                    % (token, "[" * 2500, "]" * 2500)).encode(), 400),
            "not UTF-8": (b'\xff\xfe{"t": 1}', 400),
            "a 5,000-digit number": (b'{"t": "x", "seq": ' + b"9" * 5000 + b', "answers": {}}', 400),
            "empty": (b"", 400),
            "a lone surrogate token": (b'{"t": "\\ud800", "seq": 1, "answers": {}}', 403),
        }
        for name, (body, want) in cases.items():
            code, text, headers = post(s, body)
            assert code == want and headers["Content-Type"] == "application/json", (name, code, text[:80])
            assert "error" in json.loads(text), name
        # declared far larger than ever read: answered at once, JSON, the body never sent
        code, headers, body = raw(s, b"POST /api/answer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n")
        assert code == 413 and headers["content-type"] == "application/json" and "error" in json.loads(body)
        # a length that is not one number (or comes with chunked encoding: request smuggling): JSON 400
        for framing in (b"Content-Length: 2\r\nContent-Length: 30", b"Content-Length: -5",
                        b"Content-Length: 2\r\nTransfer-Encoding: chunked"):
            code, headers, body = raw(s, b"POST /api/answer HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n{}" % framing)
            assert code == 400 and "error" in json.loads(body), framing
        # chunked: the same checks as with a length
        for chunk, want in ((json.dumps({"t": "nope", "seq": 1, "answers": {}}).encode(), 403), (b"[" * 20_000, 413)):
            code, headers, body = raw(s, b"POST /api/answer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                         b"Connection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk))
            assert code == want and "error" in json.loads(body), (want, code, body[:80])
        assert get(f"{s.url}api/results?key={s.key}")[0] == 403  # the key is read from the header only
        exports_as(s, "研究")  # the study's default name: its folder's
        assert s.alive()
    finally:
        s.kill()


def test_slow_clients_do_not_hold_the_server(made):
    """200 connections trickling a byte at a time (100 slow heads, 100 slow bodies): a normal GET
    still answers within 2 s, and the server closes them at --timeout (their request never completes)."""
    s = Server(made[0], "--timeout", "2")
    host, port = s.url.split("//")[1].strip("/").rsplit(":", 1)
    socks: list[socket.socket] = []
    stop = threading.Event()
    try:
        for k in range(200):
            c = socket.create_connection((host, int(port)), timeout=5)
            c.sendall(b"POST /api/answer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{" if k % 2
                      else b"GET / HTTP/1.1\r\nX-Slow: ")
            socks.append(c)
        began = time.monotonic()

        def trickle() -> None:
            while not stop.wait(0.2):
                for c in socks:
                    try:
                        c.send(b"[" if c.fileno() % 2 else b"a")
                    except OSError:
                        pass

        t = threading.Thread(target=trickle)
        t.start()
        for _ in range(3):
            code, body, _ = get(f"{s.url}page/study.css", timeout=2)  # raises after 2 s without an answer
            assert code == 200 and body
            time.sleep(0.4)

        def closed(c: socket.socket) -> bool:
            c.settimeout(max(0.1, began + 6 - time.monotonic()))
            try:
                while c.recv(4096):
                    pass
                return True
            except TimeoutError:
                return False
            except OSError:
                return True  # reset by the server

        assert sum(closed(c) for c in socks) == 200  # within 6 s of their first byte, trickling all along
        stop.set()
        t.join()
        assert get(f"{s.url}page/study.css", timeout=2)[0] == 200
    finally:
        stop.set()
        for c in socks:
            c.close()
        s.kill()


def exports_as(server: Server, name: str) -> None:
    """The results download as ``answers-<name>.csv`` whatever the name (RFC 6266 ``filename*``)."""
    from werkzeug.http import parse_options_header

    code, body, headers = get(f"{server.url}api/results", headers={"X-Owner-Key": server.key})
    assert code == 200 and body.startswith(b"study,rater,"), body[:80]
    disposition = headers["Content-Disposition"]
    kind, params = parse_options_header(disposition)  # decodes RFC 2231/5987 filename*
    assert disposition.isascii() and kind == "attachment" and params["filename"] == f"answers-{name}.csv", disposition


def test_a_quote_in_the_name_exports_and_sigterm_is_one_line_and_143(made, tmp_path):
    from msi.study.manifest import write_manifest

    study = fresh(made, tmp_path)
    manifest = json.loads((study / "study.json").read_text())
    write_manifest(study, {**manifest, "name": 'a"b'})  # as make --name 'a"b' writes it
    s = Server(study)
    try:
        token = s.token("r01")
        plan = json.loads(get(f"{s.url}api/session?t={token}")[1])["plan"]
        values = {q: 3 for q in manifest["questions"]}
        code, body, _ = post(s, json.dumps({"t": token, "seq": plan[0]["seq"], "answers": values}).encode())
        assert code == 200, body
        exports_as(s, 'a"b')
        os.killpg(s.proc.pid, signal.SIGTERM)
        _, err = s.proc.communicate(timeout=20)
    finally:
        s.kill(signal.SIGKILL)
    assert s.proc.returncode == 143
    assert err.splitlines() == [f"msi: stopped by SIGTERM; {len(values)} answers stored in "
                                f"{study.resolve() / 'server' / 'answers.sqlite'}"], err


def test_colliding_names_are_refused(made, tmp_path, run_cli, one_line_error):
    src = made[1]["real"]
    import unicodedata

    for case, files in {"space": ("x y.mp4", "x-y.mp4"), "case": ("Talk.mp4", "talk.mp4"),
                        "extension": ("t.mp4", "t.avi"),
                        "unicode forms": (unicodedata.normalize("NFC", "café.mp4"),
                                          unicodedata.normalize("NFD", "café.mp4"))}.items():
        dirs = {m: tmp_path / case / m for m in ("a", "b")}
        for d in dirs.values():
            d.mkdir(parents=True)
            for f, clip in zip(files, ("u0.mp4", "u1.mp4")):
                shutil.copyfile(src / clip, d / f)
        code, _, err = run_cli(["study", "make", *(f"{m}={d}" for m, d in dirs.items()), "--out", tmp_path / case / "study"])
        one_line_error(code, err, str(dirs["a"] / files[0]), str(dirs["a"] / files[1]), exit_code=1)
        assert not (tmp_path / case / "study").exists()


def test_dotted_and_unicode_names_are_kept_apart(made, tmp_path, run_cli):
    """talk.v1 and talk.v2 are two utterances, each its own file: raters never grade one twice;
    names in other scripts are kept as they are."""
    dirs = {m: tmp_path / m for m in ("a", "b")}
    for d in dirs.values():
        d.mkdir()
        shutil.copyfile(made[1]["real"] / "u0.mp4", d / "talk.v1.mp4")
        shutil.copyfile(made[1]["shaken"] / "u1.mp4", d / "talk.v2.mp4")
        shutil.copyfile(made[1]["shaken"] / "u0.mp4", d / "研究.mp4")
    code, _, err = run_cli(["study", "make", *(f"{m}={d}" for m, d in dirs.items()), "--raters", "1",
                            "--attention", "0", "--out", tmp_path / "study"])
    assert code == 0, err
    manifest = json.loads((tmp_path / "study" / "study.json").read_text())
    assert manifest["utterances"] == ["talk.v1", "talk.v2", "研究"]
    for u in manifest["utterances"]:
        video = tmp_path / "study" / manifest["items"][f"acr:a:{u}"]["video"]
        assert video.read_bytes() == (dirs["a"] / f"{u}.mp4").read_bytes()


def test_bad_outs_and_guidelines_are_one_line(made, tmp_path, run_cli, one_line_error):
    """--out inside an input method's folder (its clips would count as that method's in msi
    compare), a link, a file, under a file; a FIFO as --guideline (never opened: it would hang)."""
    real = made[1]["real"]
    methods = [f"{m}={d}" for m, d in made[1].items()]
    for out in (real / "study", real):
        code, _, err = run_cli(["study", "make", *methods, "--out", out])
        one_line_error(code, err, "folder of method real", exit_code=1)
    assert not (real / "study").exists()
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    for args, needle in ((["--out", tmp_path / "link"], "is a symbolic link"),
                         (["--out", tmp_path / "file"], "exists and is not a folder"),
                         (["--out", tmp_path / "file" / "study"], "exists and is not a folder"),
                         (["--guideline", tmp_path / "fifo", "--out", tmp_path / "s"], "not a regular file (a pipe)")):
        code, _, err = run_cli(["study", "make", *methods, *args])
        one_line_error(code, err, needle)
    assert sorted(os.listdir(tmp_path)) == ["empty", "fifo", "file", "link"] and not os.listdir(tmp_path / "empty")


def test_nesting_depth_skips_strings_and_stops_early():
    """The depth a body is refused by: brackets inside strings (with escaped quotes and
    backslashes) do not count, an unterminated string runs to the end; json's own parse agrees
    on every well-formed case."""
    from msi.study.server import nesting_depth

    cases = [{"t": "a[[[\\\"[[{", "answers": {"q": [[1]]}}, ["}}]]\\", {"a": "\\\\"}], "[[[", [], {}, 3,
             {"a": [{"b": [{"c": "]"}]}]}]

    def depth(v) -> int:
        return 1 + max((depth(x) for x in (v.values() if isinstance(v, dict) else v)), default=0) \
            if isinstance(v, (dict, list)) else 0

    for v in cases:
        assert nesting_depth(json.dumps(v).encode()) == depth(v), v
    assert nesting_depth(b'"' + b'\\"' * 5000 + b"[[[") == 0  # all one unterminated string
    assert nesting_depth(b"[" * 10_000, stop=4) == 5


def test_a_damaged_manifest_is_one_line(made, tmp_path, run_cli, one_line_error):
    """study.json edited into what make never writes (a FIFO, other types, a gap in a plan, a
    question twice) is refused on load in one line, never a 500 per request later."""
    import copy

    from msi.study.manifest import BadStudy, load_study

    study = fresh(made, tmp_path)
    good = json.loads((study / "study.json").read_text())

    def damaged(edit) -> dict:
        m = copy.deepcopy(good)
        edit(m)
        return m

    cases = {
        "name a list": damaged(lambda m: m.update(name=["x"])),
        "a question twice": damaged(lambda m: m.update(questions=[m["questions"][0]] * 2)),
        "seed text": damaged(lambda m: m["plan"].update(seed="1")),
        "a session without plan": damaged(lambda m: m["sessions"][1].pop("plan")),
        "a gap in seq": damaged(lambda m: m["sessions"][0]["plan"][1].update(seq=7)),
        "a kind unknown": damaged(lambda m: m["sessions"][0]["plan"][0].update(kind="bonus")),
        "sessions a number": damaged(lambda m: m.update(sessions=3)),
        "an item's method a list": damaged(lambda m: next(iter(m["items"].values())).update(method=[])),
        "an expected answer damaged": damaged(lambda m: next(it for it in m["items"].values() if "expect" in it)
                                              .update(expect={"question": "realness", "max_grade": "2"})),
    }
    for name, m in cases.items():
        (study / "study.json").write_text(json.dumps(m))
        with pytest.raises(BadStudy):
            load_study(study)
    (study / "study.json").unlink()
    os.mkfifo(study / "study.json")
    code, _, err = run_cli(["study", "analyze", study, "--out", tmp_path / "out"])
    one_line_error(code, err, "study.json: not a regular file (a pipe)", exit_code=1)


def test_a_foreign_answers_database_is_one_line(made, tmp_path, one_line_error, run_cli):
    """server/answers.sqlite that is not a study's (another program's tables, or not SQLite):
    refused at start, never written into."""
    import sqlite3

    study = fresh(made, tmp_path)
    (study / "server").mkdir()
    with sqlite3.connect(study / "server" / "answers.sqlite") as c:
        c.execute("CREATE TABLE answers (x)")
    r = run_msi("study", "serve", study, "--port", "0", timeout=60)
    one_line_error(r.returncode, r.stderr, "cannot keep the answers there", "not a study's answers database",
                   exit_code=1)
    with sqlite3.connect(study / "server" / "answers.sqlite") as c:
        assert [row[1] for row in c.execute("PRAGMA table_info(answers)")] == ["x"]
    code, _, err = run_cli(["study", "analyze", study, "--out", tmp_path / "out"])
    one_line_error(code, err, "cannot read the answers", "not a study's answers database")
    (study / "server" / "answers.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)  # damaged
    code, _, err = run_cli(["study", "analyze", study, "--out", tmp_path / "out"])
    one_line_error(code, err, "cannot read the answers", "file is not a database")


def test_out_of_file_descriptors_the_server_waits_and_says_so_once(made):
    """A hard limit of 64 open files and 100 slow clients: the server stops accepting for a
    moment with one warning (no stream of tracebacks), and answers a GET once their deadline
    (--timeout 1) has closed them."""
    import re
    import resource
    import subprocess
    import sys

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    p = subprocess.Popen([sys.executable, "-m", "msi", "study", "serve", str(made[0]), "--port", "0", "--timeout", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=low_limit,
                         start_new_session=True, cwd=Path(__file__).resolve().parents[2])
    socks = []
    try:
        url = re.search(r"at (http://\S+/) ", p.stdout.readline()).group(1)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)  # queued in the backlog past the limit
            s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
            socks.append(s)
        code, body, _ = get(f"{url}page/study.css", timeout=10)
        assert code == 200 and body
    finally:
        for s in socks:
            s.close()
        os.killpg(p.pid, signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    lines = err.splitlines()
    assert lines[0].startswith("msi: warning: out of file descriptors") and "Traceback" not in err, err[:500]
    assert len(lines) == 2 and lines[1].startswith("msi: stopped by SIGTERM"), err[:500]
