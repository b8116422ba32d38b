"""The HTTP server under ``msi study serve``: the study's WSGI app on Tornado's HTTP/1.1 server,
with every request bounded in time and size so that slow or hostile clients cannot hold it.

Why Tornado and not waitress: waitress closes a connection only after ``channel_timeout`` seconds
*without a byte*, so a client that sends one byte a second keeps its connection for ever, and
``connection_limit`` such clients stop the server accepting anyone else. Tornado bounds the whole
request head and the whole body, each within :data:`REQUEST_TIMEOUT` from its start (also the
idle time of a kept-alive connection), however it trickles in; its event loop holds
thousands of connections, each costing a few KB until its deadline closes it. The app runs in a
thread pool (``threads``): a request reaches it only once it has fully arrived, so slow clients
never hold a thread.

Bodies: the app refuses a body over its limit with a JSON 413. This server keeps at most
``limit + 1`` bytes of a body (the rest is read and dropped, so memory stays bounded and the
client still gets the JSON answer rather than a reset connection); a body declared larger than
:data:`DRAIN_LIMIT`, or whose length is malformed, is refused at once with a JSON 413 or 400 and its
connection closed without reading it.
"""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import re
import sys
from concurrent.futures import ThreadPoolExecutor

#: The request line and headers must arrive within this many seconds of their first byte (a
#: kept-alive connection is closed after this long without a new request), and so must a body.
REQUEST_TIMEOUT = 10.0
#: Largest request head (bytes): a browser's headers with cookies fit easily.
MAX_HEAD = 64 * 1024
#: Bodies declared up to this size are read (and dropped past the app's limit) so the client reads
#: the JSON 413; a larger declared body is refused without reading it.
DRAIN_LIMIT = 1024 * 1024
#: Seconds to stop accepting when the process is out of file descriptors.
ACCEPT_PAUSE = 0.25
#: File descriptors asked for at start (the soft limit raised up to the hard one): each
#: connection is one, and 1024, a common default, is a few hundred slow clients away.
DESCRIPTORS = 65536
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]*)(:\d{1,5})?")


def _refusal(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP response refusing a request, with the app's JSON ``{"error": ...}``."""
    body = json.dumps({"error": message}).encode()
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"X-Content-Type-Options: nosniff\r\nContent-Length: %d\r\n\r\n" % (status, reason.encode(), len(body))) + body


def _framing_error(headers, limit: int) -> bytes | None:
    """The refusal of a request whose body cannot be read safely, or None: a length that is not
    one number, a length together with chunked encoding (a request smuggling pattern), another
    transfer encoding, or a declared length over :data:`DRAIN_LIMIT`."""
    lengths = {v.strip() for v in ",".join(headers.get_list("Content-Length")).split(",")} - {""}
    coding = headers.get("Transfer-Encoding")
    if len(lengths) > 1 or any(not v.isdigit() for v in lengths) or (lengths and coding) or \
            (coding is not None and coding.strip().lower() != "chunked"):
        return _refusal(400, "Bad Request", "the body's length is malformed (Content-Length: one number, or "
                                            "Transfer-Encoding: chunked alone)")
    if lengths and int(next(iter(lengths))) > DRAIN_LIMIT:
        return _refusal(413, "Payload Too Large", f"request body larger than {limit} bytes")
    return None


def _more_descriptors() -> None:
    """Raise this process's soft limit of open files towards :data:`DESCRIPTORS` (never above the
    hard limit; nothing where the platform has no such limit)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = DESCRIPTORS if hard == resource.RLIM_INFINITY else min(DESCRIPTORS, hard)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ImportError, ValueError, OSError):
        pass


def _delegates(container, limit: int):
    """Tornado's connection delegate for ``container`` (a WSGIContainer) keeping at most
    ``limit + 1`` bytes of each body (defined here: Tornado is imported only when serving)."""
    from tornado import httputil

    class Request(httputil.HTTPMessageDelegate):
        def __init__(self, conn) -> None:
            self.conn, self.head, self.chunks, self.kept, self.size = conn, None, [], 0, 0

        def headers_received(self, start_line, headers):
            refusal = _framing_error(headers, limit)
            if refusal is not None:
                stream = self.conn.detach()  # no body read, no further request on this connection
                stream.write(refusal).add_done_callback(lambda _: stream.close())
                return None
            if not _HOST.fullmatch(headers.get("Host", "")):
                headers["Host"] = "invalid"  # WSGIContainer parses host:port and must not fail
            self.head = (start_line, headers)
            return None

        def data_received(self, chunk: bytes):
            if self.kept <= limit:
                self.chunks.append(chunk[:limit + 1 - self.kept])
                self.kept += len(self.chunks[-1])
            self.size += len(chunk)
            return None

        def finish(self) -> None:
            start_line, headers = self.head
            if self.size or "Content-Length" in headers or "Transfer-Encoding" in headers:
                headers.pop("Transfer-Encoding", None)  # the app sees the body as one block
                headers["Content-Length"] = str(self.size)  # the true size: the app refuses it when too large
            request = httputil.HTTPServerRequest(connection=self.conn, start_line=start_line, headers=headers)
            request.body = b"".join(self.chunks)
            container(request)

        def on_connection_close(self) -> None:
            self.chunks = []

    class Server(httputil.HTTPServerConnectionDelegate):
        def start_request(self, server_conn, request_conn):
            return Request(request_conn)

    return Server()


class StudyHTTPServer:
    """A WSGI app on Tornado bound to (host, port); :meth:`run` serves until KeyboardInterrupt
    (Ctrl-C, or SIGTERM as :mod:`msi.cli.signals` turns it), :meth:`close` stops accepting and
    waits for the requests in progress (an answer being stored is stored)."""

    def __init__(self, app, host: str, port: int, threads: int, body_limit: int,
                 timeout: float = REQUEST_TIMEOUT) -> None:
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets
        from tornado.wsgi import WSGIContainer

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.sockets = bind_sockets(port, address=host, backlog=1024)  # OSError: the caller says it
        self.port = self.sockets[0].getsockname()[1]
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="msi-study")
        self._warned = False
        container = WSGIContainer(app, executor=self.executor)
        logging.getLogger("tornado.access").setLevel(logging.ERROR)  # no line per refused request

        _more_descriptors()

        async def start() -> HTTPServer:
            return HTTPServer(_delegates(container, body_limit), idle_connection_timeout=timeout,
                              body_timeout=timeout, max_header_size=MAX_HEAD, max_body_size=DRAIN_LIMIT)

        self.http = self.loop.run_until_complete(start())
        for sock in self.sockets:
            sock.setblocking(False)
            self.loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, sock) -> None:
        """Accept what waits on ``sock`` (a bounded batch, so requests in progress go on). Out of
        file descriptors, stop accepting for :data:`ACCEPT_PAUSE` seconds: the request deadlines
        free some, and new clients wait in the listen backlog meanwhile. (Tornado's own accept
        handler raises there, and the event loop retries it at once, logging each time.)"""
        from tornado.iostream import IOStream

        for _ in range(128):
            try:
                conn, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:  # the client left before it was accepted
                continue
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    raise
                self.loop.remove_reader(sock.fileno())
                self.loop.call_later(ACCEPT_PAUSE, self._resume, sock)
                if not self._warned:
                    self._warned = True
                    print(f"msi: warning: out of file descriptors ({exc.strerror}): new connections wait for "
                          "the slow ones' deadlines", file=sys.stderr, flush=True)
                return
            conn.setblocking(False)
            self.http.handle_stream(IOStream(conn), address)

    def _resume(self, sock) -> None:
        if sock.fileno() != -1:  # not closed meanwhile
            self.loop.add_reader(sock.fileno(), self._accept, sock)

    def run(self) -> None:
        self.loop.run_forever()

    def close(self) -> None:
        for s in self.sockets:
            self.loop.remove_reader(s.fileno())
            s.close()
        self.executor.shutdown(wait=True)
