"""One decode of a video shared by every column that reads its frames.

The columns of ``msi compare`` are written as readers: each asks its
:class:`msi.metrics.column.VideoContext` for ``frames()`` and iterates. To decode each video once,
a job runs its columns as tasks of one :class:`Pass` (one thread per task) and hands each video a
:class:`SharedVideo`: every reader of that video gets the same decoded frames, from one decoder,
and the frames a reader has not yet seen wait in a small buffer.

- **One decode.** The decoder opens on the first frame asked for, once every task of the pass has
  either finished or is waiting for a frame (so every column that reads the video is registered
  by then); a reader that comes later than frame 0 (a column that reads a video twice) gets a
  decoder of its own, which :attr:`SharedVideo.decodes` counts.
- **Bounded memory.** A reader more than :data:`AHEAD` frames ahead of the slowest waits for it.
  Readers pairing a video with its truth read both in step, so this never stalls them; should
  every task of the pass be waiting at once (a column that reads all of one video before another),
  the bound is lifted for that video rather than deadlock.
- **Read-only frames.** Every reader sees the same array: frames are marked read-only, so a column
  that would change one fails loudly instead of changing its neighbours' input.

Pure threading; the numbers are those of separate decodes (the same decoder, the same frames).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, Sequence

import numpy as np

#: Frames a reader may run ahead of the slowest reader of the same video.
AHEAD = 8

_END = object()


class Pass:
    """The tasks of one job, run in threads, and the lock their shared videos wait on."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.live = 0  # tasks still running
        self.waiting = 0  # of which found, since the last change, that they must wait
        self._epoch = 0
        self._owned: dict[int, list[tuple[SharedVideo, int]]] = {}  # thread id -> its readers

    def run(self, tasks: Sequence[Callable[[], Any]]) -> list[tuple[bool, Any]]:
        """Run ``tasks`` concurrently; [(True, result) or (False, exception)] in their order."""
        results: list[tuple[bool, Any]] = [(False, None)] * len(tasks)

        def body(i: int, task: Callable[[], Any]) -> None:
            try:
                results[i] = (True, task())
            except BaseException as exc:  # handed to the caller, who decides what it means
                results[i] = (False, exc)
            finally:
                with self.cond:
                    for video, rid in self._owned.pop(threading.get_ident(), []):
                        video._leave(rid)
                    self.live -= 1
                    self._changed()

        with self.cond:
            self.live += len(tasks)
        threads = [threading.Thread(target=body, args=(i, t), daemon=True, name=f"msi-column-{i}")
                   for i, t in enumerate(tasks)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():  # a timeout keeps Ctrl-C deliverable to the main thread
                t.join(0.5)
        return results

    def wait_for(self, ready: Callable[[], bool]) -> bool:
        """Hold ``cond`` when calling. Wait until ``ready()`` (True), or until every other running
        task waits too (False: nothing else will make it ready; e.g. a batch of the networks'
        inputs that no other video will fill, :mod:`msi.networks.batching`)."""
        while not ready():
            if self._stalled():
                return False
            self._wait()
        return True

    def changed(self) -> None:
        """Wake every task waiting in :meth:`wait_for` to look again."""
        with self.cond:
            self._changed()

    def _stalled(self) -> bool:
        """True when every other running task waits too: nobody else will make progress."""
        return self.waiting + 1 >= self.live

    def _changed(self) -> None:
        """Something changed (a frame, a reader, a task done): every waiter looks again, and
        counts as waiting only once it has found it still must (a woken thread that has not
        looked yet is not stalled)."""
        self.waiting = 0
        self._epoch += 1
        self.cond.notify_all()

    def _wait(self) -> None:
        self.waiting += 1
        epoch = self._epoch
        self.cond.wait()
        if self._epoch == epoch:  # woken without a change: no longer counted
            self.waiting -= 1

    def _own(self, video: SharedVideo, rid: int) -> None:
        self._owned.setdefault(threading.get_ident(), []).append((video, rid))


class SharedVideo:
    """One video's frames, decoded once for every reader of a :class:`Pass`.

    ``open_frames()`` -> a fresh iterator over the decoded frames (the decoder);
    :meth:`frames` is what a column's ``ctx.frames()`` returns."""

    def __init__(self, open_frames: Callable[[], Iterator[np.ndarray]], group: Pass, ahead: int = AHEAD) -> None:
        self._open = open_frames
        self._group = group
        self._ahead = ahead
        self._it: Iterator[np.ndarray] | None = None
        self._buf: dict[int, np.ndarray] = {}
        self._next = 0  # index of the next frame to decode
        self._ended = False
        self._error: BaseException | None = None
        self._decoding = False
        self._readers: dict[int, int] = {}  # reader id -> index of the frame it wants next
        self._ids = 0
        self.decodes = 0  # decoders opened: 1 when every reader shared the pass

    def frames(self) -> Iterator[np.ndarray]:
        """A reader: registered now (not at its first ``next``), so that a column that opens the
        video and its truth before reading either holds its place in both."""
        return _Reader(self)

    def _leave(self, rid: int) -> None:
        if self._readers.pop(rid, None) is not None:
            self._drop()

    def _drop(self) -> None:
        low = min(self._readers.values(), default=self._next)
        for j in [j for j in self._buf if j < low]:
            del self._buf[j]

    def _frame(self, rid: int, k: int) -> Any:
        group = self._group
        cond = group.cond
        with cond:
            self._readers[rid] = k
            self._drop()
            group._changed()
            while True:
                if k in self._buf:
                    return self._buf[k]
                if self._error is not None:
                    raise self._error
                if self._ended and k >= self._next:
                    return _END
                started = self._next > 0 or self._it is not None
                low = min(self._readers.values(), default=k)
                room = self._next - low < self._ahead
                if not self._decoding and (started or group._stalled()) and (room or group._stalled()):
                    self._decoding = True
                    break
                group._wait()
        frame: Any = _END
        error: BaseException | None = None
        try:  # decoding outside the lock: other readers keep reading buffered frames
            if self._it is None:
                self._it = iter(self._open())
                with cond:
                    self.decodes += 1
            frame = next(self._it, _END)
            if frame is not _END:
                frame.flags.writeable = False
        except BaseException as exc:
            error = exc
        with cond:
            self._decoding = False
            if error is not None:
                self._error = error
            elif frame is _END:
                self._ended = True
            else:
                self._buf[self._next] = frame
                self._next += 1
            group._changed()
        return self._frame(rid, k)


class _Reader:
    """One column's iterator over a :class:`SharedVideo` (or, come late, over a decoder of its own)."""

    def __init__(self, video: SharedVideo) -> None:
        self._video = video
        self._k = 0
        self._own: Iterator[np.ndarray] | None = None
        self._rid: int | None = None
        with video._group.cond:
            if video._next > 0 and 0 not in video._buf:  # frame 0 is gone: a decoder of its own
                video.decodes += 1
                late = True
            else:
                late = False
                video._ids += 1
                self._rid = video._ids
                video._readers[self._rid] = 0
                video._group._own(video, self._rid)
        if late:
            self._own = iter(video._open())

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> np.ndarray:
        if self._own is not None:
            return next(self._own)
        if self._rid is None:
            raise StopIteration
        frame = self._video._frame(self._rid, self._k)
        if frame is _END:
            self.close()
            raise StopIteration
        self._k += 1
        return frame

    def close(self) -> None:
        if self._rid is not None:
            video, self._rid, rid = self._video, None, self._rid
            with video._group.cond:
                video._leave(rid)
                video._group._changed()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
