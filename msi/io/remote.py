"""Inputs and caches at fsspec URLs (``s3://``, ``gs://``, ``https://``, ``file://``, ...).

What is here, and nothing else imports fsspec: a path that is not a URL never reaches this module's
fsspec code (``is_url`` is plain string work), so scoring local files imports nothing new.

- :func:`is_url`, :func:`redact`, :func:`redact_text`, :func:`display_path`: URLs told apart from
  paths, and shown without their userinfo (``user:password@``) and query string (``?X-Amz-Signature=...``)
  in every message, result row and log line.
- :func:`expand_url`: a folder (prefix) or glob expanded on the remote store, as
  :func:`msi.io.inputs.expand_inputs` does on disk.
- :class:`RemoteSource`: one remote video, opened as file-like objects (:class:`StreamReader`)
  that PyAV decodes from (``av.open`` takes a file object). Reads go through a small read-ahead
  block (:data:`BLOCK_SIZE`), never the whole object. While PyAV reads, the reader hashes the bytes
  (SHA-256, the landmark cache's content key), so the process that streams a video computes its key
  without reading it a second time (:meth:`RemoteSource.content_hash` reads only what the decoder
  skipped, e.g. an index at the end of the file).
- :func:`with_retry`: a bounded retry with exponential backoff for transient failures
  (dropped connections, timeouts, throttling: HTTP 429/500/502/503/504, S3 ``SlowDown``):
  :data:`RETRY_ATTEMPTS` tries, waiting :data:`RETRY_BASE_DELAY` x 2^k seconds (at most
  :data:`RETRY_MAX_DELAY`) between them. A read that fails mid-stream reopens the object at the
  offset it had reached. Missing objects and access denied are not retried.
- :func:`as_msi_error`: a failure named by its cause in one line, whatever the driver wrapped it
  in (fsspec's HTTP driver reports every failed request as "not found"): connection refused, host
  name not resolved, timed out, TLS, access denied (403), no such object (404), server error (5xx)
  after N tries. Connections and reads time out after :func:`remote_timeout` seconds
  (``MSI_REMOTE_TIMEOUT``); ``MSI_REMOTE_TRIES`` sets the tries (:func:`retry_attempts`).

Credentials come from the store's usual sources (environment variables, config files, instance
roles); nothing here reads or stores them. fsspec and s3fs: ``pip install 'stableface[remote]'``.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import socket
import ssl
import time
from typing import Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

from msi.errors import InputNotFound, MSIError, UnreadableVideo

#: Tries of one remote operation (the first and the retries) before it is an error row
#: (``MSI_REMOTE_TRIES`` overrides it).
RETRY_ATTEMPTS = 4
#: Seconds to open a connection, and to wait for the next bytes of an answer, before a try
#: counts as timed out (``MSI_REMOTE_TIMEOUT`` overrides it; http(s) and s3 URLs).
REMOTE_TIMEOUT = 60.0
#: Seconds before the first retry; doubled for each next one.
RETRY_BASE_DELAY = 0.5
#: Longest wait between two tries (seconds).
RETRY_MAX_DELAY = 8.0
#: Bytes fetched per request while a video streams (fsspec's read-ahead block): the memory a
#: remote video costs beyond the decoder's own.
BLOCK_SIZE = 4 << 20
#: Stores whose URLs name single objects: no folder or glob expansion (a query string has '?').
NO_EXPANSION = ("http", "https")
#: The extra that brings fsspec and the S3 driver.
EXTRA_HINT = "pip install 'stableface[remote]'"

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# scheme://[userinfo@]rest[?query]: userinfo and query are what a message must not show
_URL_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^/\s'\"<>@]*@)?"
                          r"(?P<rest>[^\s'\"<>?#]*)(?P<query>\?[^\s'\"<>#]*)?")
_TRANSIENT_NAMES = {
    "ClientPayloadError", "ServerDisconnectedError", "ClientConnectionError", "ClientOSError",
    "ServerTimeoutError", "ClientConnectorError", "EndpointConnectionError", "ConnectionClosedError",
    "ReadTimeoutError", "ConnectTimeoutError", "IncompleteReadError", "IncompleteRead",
    "FSTimeoutError", "ResponseStreamingError", "ProtocolError", "HTTPClientError", "RemoteDisconnected",
}
_TRANSIENT_TEXT = re.compile(r"SlowDown|Throttl|ServiceUnavailable|reduce your request rate|TooManyRequests|"
                             r"\b(429|500|502|503|504)\b|Connection reset|Broken pipe|timed out", re.I)

T = TypeVar("T")


class RemoteError(MSIError):
    """A remote store that failed after the bounded retry (network, throttling), or is not usable."""

    kind = "remote"


class AccessDenied(MSIError):
    kind = "access_denied"


# ----------------------------------------------------------------------------- names


def is_url(path: object) -> bool:
    """True for ``scheme://...`` strings (fsspec URLs); paths (and Path objects) are not."""
    return isinstance(path, str) and bool(_URL.match(path))


def redact(url: str) -> str:
    """``url`` without userinfo and query string: ``https://u:p@host/a.mp4?sig=...`` ->
    ``https://host/a.mp4`` (a fragment such as ``#panel`` is kept)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", parts.fragment))


def redact_text(text: str) -> str:
    """Every URL in ``text`` without its userinfo and query string (for messages and logs)."""
    return _URL_IN_TEXT.sub(lambda m: m["scheme"] + m["rest"], text)


def display_path(path: object) -> str:
    """What a result row and a message show for an input: a URL redacted, a path as given."""
    s = str(path)
    return redact(s) if is_url(s) else s


# ----------------------------------------------------------------------------- errors and retry


def _setting(name: str, default: float, kind: type, least: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not value >= least:
        raise RemoteError(f"{name}={raw}: expected a number of at least {least:g}")
    return value


def remote_timeout() -> float:
    """Seconds a connection may take to open and an answer to send its next bytes:
    ``MSI_REMOTE_TIMEOUT``, else :data:`REMOTE_TIMEOUT`."""
    return _setting("MSI_REMOTE_TIMEOUT", REMOTE_TIMEOUT, float, 0.001)


def retry_attempts() -> int:
    """Tries of one remote operation: ``MSI_REMOTE_TRIES``, else :data:`RETRY_ATTEMPTS`."""
    return int(_setting("MSI_REMOTE_TRIES", RETRY_ATTEMPTS, int, 1))


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or while handling (drivers wrap the real cause)."""
    out: list[BaseException] = []
    while exc is not None and not any(exc is e for e in out):
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _named(exc: BaseException, *names: str) -> bool:
    return bool({t.__name__ for t in type(exc).__mro__} & set(names))


def _status(exc: BaseException) -> tuple[int | None, str]:
    """The HTTP status of a failed request anywhere in the chain, and S3's error code if any."""
    for e in _chain(exc):
        response = getattr(e, "response", None)
        if isinstance(response, dict):  # botocore's ClientError
            code = str(response.get("Error", {}).get("Code", ""))
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(status, int):
                return status, "" if code == str(status) else code
        status = getattr(e, "status", None)
        if isinstance(status, int) and 100 <= status <= 599:
            return status, ""
    return None, ""


def network_cause(exc: BaseException) -> str | None:
    """How the connection failed, if it did, in a few words: "connection refused", "host name
    not resolved", "timed out (...)", "TLS error (...)"; None for an answer the server gave."""
    chain = _chain(exc)
    tls = [e for e in chain if isinstance(e, ssl.SSLError)]  # Python's own: the precise words
    if tls or any(_named(e, "ClientSSLError", "SSLError") for e in chain):
        e = tls[-1] if tls else None
        detail = (f"certificate verify failed: {e.verify_message}" if getattr(e, "verify_message", None)
                  else str(getattr(e, "reason", None) or "").replace("_", " ").lower() if e is not None else "")
        return f"TLS error ({detail or 'handshake failed'}): the server's certificate or TLS setup is not accepted"
    if any(isinstance(e, socket.gaierror) or _named(e, "ClientConnectorDNSError") for e in chain):
        return "host name not resolved (DNS)"
    if any(isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED for e in chain):
        return "connection refused (nothing listens at that host and port?)"
    if any(isinstance(e, TimeoutError) or _named(e, "ConnectTimeoutError", "ReadTimeoutError", "FSTimeoutError",
                                                 "ServerTimeoutError", "ConnectionTimeoutError") for e in chain):
        try:
            return f"timed out (no answer within {remote_timeout():g} s)"
        except RemoteError:
            return "timed out"
    return None


def is_transient(exc: BaseException) -> bool:
    """A failure worth another try: a dropped or refused connection, a timeout, throttling."""
    cause = network_cause(exc)
    if cause is not None:  # a resolver or certificate problem does not go away in seconds
        return not cause.startswith(("TLS", "host name"))
    status, _ = _status(exc)
    if status is not None and isinstance(exc, (FileNotFoundError, PermissionError)):
        return status == 429 or 500 <= status <= 504  # a wrapped answer: its status decides
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return False
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    names = {t.__name__ for t in type(exc).__mro__}
    if names & _TRANSIENT_NAMES:
        return True
    status = getattr(exc, "status", None) or getattr(exc, "code", None)
    if isinstance(status, int) and (status == 429 or 500 <= status <= 504):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.EBUSY, errno.EAGAIN, errno.ECONNRESET, errno.ETIMEDOUT):
        return True
    return bool(_TRANSIENT_TEXT.search(str(exc)))


def _reason(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or (str(exc).splitlines() or [""])[0]
    return redact_text(f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__)


def as_msi_error(exc: BaseException, shown: str, attempts: int = 1) -> MSIError:
    """One line for a failed remote operation on ``shown`` (already redacted), naming its cause
    (:func:`network_cause`, else the server's answer) rather than the driver's wrapper."""
    if isinstance(exc, MSIError):
        return exc
    if isinstance(exc, ImportError):
        return RemoteError(f"{shown}: this URL needs a package that is not installed ({exc.name or exc}): {EXTRA_HINT}")
    tries = f" after {attempts} tries" if attempts > 1 else ""
    if (cause := network_cause(exc)) is not None:
        return RemoteError(f"{shown}: {cause}{tries}")
    status, code = _status(exc)
    said = f" (HTTP {status}{' ' + code if code else ''})" if status else ""
    if isinstance(exc, PermissionError) or status in (401, 403) or re.search(r"AccessDenied|Forbidden", str(exc)):
        return AccessDenied(f"{shown}: access denied{said or f' ({_reason(exc)})'}; credentials come from the "
                            "store's usual sources (environment, config files)")
    if status == 404 or (status is None and isinstance(exc, FileNotFoundError)):
        return InputNotFound(f"{shown}: no such object{said}")
    if status is not None and status >= 500:
        return RemoteError(f"{shown}: server error{said}{tries}")
    if status is not None:
        return RemoteError(f"{shown}: the server refused the request{said}{tries}")
    if attempts > 1:
        return RemoteError(f"{shown}: failed after {attempts} tries ({_reason(exc)})")
    return RemoteError(f"{shown}: {_reason(exc)}")


def with_retry(fn: Callable[[], T], shown: str, attempts: int | None = None,
               sleep: Callable[[float], None] = time.sleep, on_retry: Callable[[BaseException], None] | None = None) -> T:
    """``fn()``, tried again after transient failures (:func:`is_transient`) up to ``attempts``
    times (default :func:`retry_attempts`) with exponential backoff; any failure left is an
    :class:`MSIError` naming ``shown``."""
    attempts = retry_attempts() if attempts is None else attempts
    for k in range(attempts):
        try:
            return fn()
        except MSIError:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted below: retried, or one line
            if not is_transient(exc) or k == attempts - 1:
                raise as_msi_error(exc, shown, k + 1) from None
            if on_retry is not None:
                on_retry(exc)
            sleep(min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2 ** k))
    raise AssertionError("unreachable")


#: Loggers of the store drivers: their records are redacted (fsspec's HTTP driver logs URLs at DEBUG).
DRIVER_LOGGERS = ("fsspec", "fsspec.http", "fsspec.cached", "s3fs", "gcsfs", "aiohttp.client", "aiobotocore",
                  "botocore", "urllib3.connectionpool")


class _RedactingFilter:
    """A logging filter: URLs in a record's message lose userinfo and query strings."""

    def filter(self, record) -> bool:
        msg = record.getMessage()
        if "://" in msg:
            record.msg, record.args = redact_text(msg), ()
        if record.exc_info and not record.exc_text:  # a logged traceback names the URL too
            import logging

            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and "://" in record.exc_text:
            record.exc_text, record.exc_info = redact_text(record.exc_text), None
        return True


_FILTER = _RedactingFilter()


def _guard_logs() -> None:
    import logging

    for name in DRIVER_LOGGERS:
        log = logging.getLogger(name)
        if _FILTER not in log.filters:
            log.addFilter(_FILTER)


def _fs(url: str):
    """(filesystem, path) of ``url``; a missing driver is one line naming the extra."""
    _guard_logs()
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise RemoteError(f"{redact(url)}: URLs need fsspec: {EXTRA_HINT}") from None
    try:
        return url_to_fs(url, **_timeouts(urlsplit(url).scheme))
    except ImportError as exc:
        raise RemoteError(f"{redact(url)}: no driver for this store ({_reason(exc)}): {EXTRA_HINT}") from None
    except (ValueError, TypeError) as exc:  # unknown protocol, malformed URL
        raise RemoteError(f"{redact(url)}: not a URL fsspec can open ({_reason(exc)})") from None


def _timeouts(scheme: str) -> dict:
    """The driver options that bound a connection's opening and each read by :func:`remote_timeout`
    (the drivers' own defaults wait minutes, or forever, on a server that never answers)."""
    t = remote_timeout()
    if scheme in ("http", "https"):
        import aiohttp

        return {"client_kwargs": {"timeout": aiohttp.ClientTimeout(total=None, sock_connect=t, sock_read=t)}}
    if scheme in ("s3", "s3a"):
        return {"config_kwargs": {"connect_timeout": t, "read_timeout": t}}
    return {}


def _unstrip(fs, path: str, like: str) -> str:
    """A path fsspec listed, as a URL of the same store as ``like`` (its userinfo and query kept
    out: listing URLs name objects of a store that credentials reach from their usual sources)."""
    return fs.unstrip_protocol(path) if "://" not in path else path


# ----------------------------------------------------------------------------- expansion


def expand_url(url: str, extensions: tuple[str, ...]) -> list[str]:
    """A URL as a sorted list of object URLs: a folder (prefix, with or without a trailing ``/``)
    -> its objects with one of ``extensions``, recursively; a glob -> its matches; an object ->
    itself. A URL that names nothing is kept (its row says so); http(s) URLs name one object."""
    try:
        return _expand(url, extensions)
    except MSIError:  # no access, no driver, the store unreachable: the URL's own row says why
        return [url]


def _expand(url: str, extensions: tuple[str, ...]) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme in NO_EXPANSION:
        return [url]
    fs, path = _fs(url)
    shown = redact(url)
    if any(c in path for c in "*?["):
        found = with_retry(lambda: fs.glob(path), shown)
        return sorted(_unstrip(fs, p, url) for p in found if p.lower().endswith(extensions))
    info = with_retry(lambda: _info_or_none(fs, path), shown)
    if info is None or info.get("type") != "directory":
        return [url]
    found = with_retry(lambda: fs.find(path.rstrip("/")), shown)
    return sorted(_unstrip(fs, p, url) for p in found if p.lower().endswith(extensions))


def _info_or_none(fs, path: str) -> dict | None:
    try:
        return fs.info(path)
    except FileNotFoundError:
        try:  # an S3 "folder" is a prefix with objects under it (no object of its own)
            return {"type": "directory"} if fs.isdir(path) else None
        except FileNotFoundError:
            return None


def list_folder(url: str, extensions: tuple[str, ...]) -> dict[str, str]:
    """Objects under a folder URL with one of ``extensions``, keyed by their path relative to it
    without the extension (how ``msi compare`` pairs videos across methods)."""
    base = url.rstrip("/")
    out = {}
    for u in expand_url(base + "/", extensions):
        if u == base + "/":
            continue
        rel = u[len(base) + 1:] if u.startswith(base + "/") else u.rsplit("/", 1)[-1]
        out[rel.rsplit(".", 1)[0]] = u
    return out


def is_folder(url: str) -> bool:
    """True when ``url`` is a folder (prefix) on its store."""
    if urlsplit(url).scheme in NO_EXPANSION:
        return False
    fs, path = _fs(url)
    info = with_retry(lambda: _info_or_none(fs, path.rstrip("/")), redact(url))
    return info is not None and info.get("type") == "directory"


# ----------------------------------------------------------------------------- one remote video


class RemoteSource:
    """A video at a URL. ``str()`` is the redacted URL (what every message shows); :meth:`open`
    gives a file-like :class:`StreamReader` (retrying, hashing) for ``av.open``."""

    def __init__(self, url: str, error: type[MSIError] = UnreadableVideo, fs=None, path: str | None = None) -> None:
        self.url = url
        self.shown = redact(url)
        self.error = error
        self.fs, self.path = (fs, path) if fs is not None else _fs(url)
        self._info: dict | None = None
        self._best_n, self._best_h = 0, hashlib.sha256()  # the longest prefix any reader hashed
        self.retries = 0  # transient failures retried (all readers)

    def __str__(self) -> str:
        return self.shown

    __repr__ = __str__

    def info(self) -> dict:
        """The object's metadata (size, ETag, ...); a missing, empty or folder URL is an error."""
        if self._info is None:
            info = with_retry(lambda: self.fs.info(self.path), self.shown, on_retry=self._count)
            if info.get("type") == "directory":
                raise self.error(f"{self.shown}: is a folder, not a file")
            if not info.get("size"):
                raise self.error(f"{self.shown}: empty file (0 bytes)" if info.get("size") == 0
                                 else f"{self.shown}: the store does not say the object's size")
            self._info = info
        return self._info

    @property
    def size(self) -> int:
        return int(self.info()["size"])

    def identity(self) -> str | None:
        """URL (redacted), size and strong ETag / version: what names this version of the object
        on its store (the cache's index to the content hash), or None when the store gives no
        strong validator. Not a content key: see docs/storage.md."""
        info = self.info()
        tag = None
        for k in ("ETag", "etag", "VersionId", "generation", "md5Hash"):
            v = info.get(k)
            if v and not str(v).startswith("W/"):  # a weak ETag may stay the same when bytes change
                tag = f"{k}={str(v).strip(chr(34))}"
                break
        return None if tag is None else f"{self.shown}|size={self.size}|{tag}"

    def _count(self, exc: BaseException) -> None:
        self.retries += 1

    def _raw(self):
        return self.fs.open(self.path, "rb", block_size=BLOCK_SIZE, cache_type="readahead")

    def open(self) -> StreamReader:
        self.info()
        return StreamReader(self)

    def _offer(self, hashed: int, h) -> None:
        """A reader's prefix hash (the hasher object itself: it only grows while that reader
        keeps reading in order, and then stays the longest)."""
        if hashed > self._best_n:
            self._best_n, self._best_h = hashed, h

    @property
    def hashed_bytes(self) -> int:
        """Bytes from the start that readers have hashed so far."""
        return self._best_n

    def content_hash(self) -> str:
        """SHA-256 of the object's bytes: from the longest prefix a reader already hashed, the
        rest read now (nothing at all, for a video decoded to its end in order)."""
        done, h = self._best_n, self._best_h.copy()
        if done < self.size:
            with self.open() as r:
                r.seek(done)
                while block := r.read(1 << 20):
                    h.update(block)
                    done += len(block)
        if done != self.size:
            raise RemoteError(f"{self.shown}: read {done} of {self.size} bytes; the object changed while read?")
        return h.hexdigest()


class StreamReader(io.RawIOBase):
    """A seekable, read-only file object over a :class:`RemoteSource`. Each read is retried
    (reopening the object at the current offset) on transient failures; bytes read in order
    from the start are hashed on the way."""

    def __init__(self, source: RemoteSource) -> None:
        super().__init__()
        self.source = source
        self.pos = 0
        self._f = None
        self._h = hashlib.sha256()
        self._hashed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.source.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def _read_once(self, n: int) -> bytes:
        if self._f is None:
            self._f = self.source._raw()
        self._f.seek(self.pos)
        return self._f.read(n)

    def _dropped(self, exc: BaseException) -> None:
        self.source._count(exc)
        f, self._f = self._f, None  # the next try opens the object again at self.pos
        if f is not None:
            try:
                f.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close too
                pass

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = max(0, self.source.size - self.pos)
        if n == 0 or self.pos >= self.source.size:
            return b""
        data = with_retry(lambda: self._read_once(n), self.source.shown, on_retry=self._dropped)
        start, self.pos = self.pos, self.pos + len(data)
        if start <= self._hashed < self.pos:
            self._h.update(memoryview(data)[self._hashed - start:])
            self._hashed = self.pos
            self.source._offer(self._hashed, self._h)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            if self._f is not None:
                try:
                    self._f.close()
                except Exception:  # noqa: BLE001
                    pass
                self._f = None
        super().close()
