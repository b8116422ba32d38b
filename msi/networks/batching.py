"""Batches of a network's inputs gathered from several videos at once.

``msi compare`` computes the columns of one utterance (each method's video and its truth) in
threads side by side (:mod:`msi.comparison.shared_decode`). A video of a few frames does not fill
a batch of ``--batch-size`` on its own; a :class:`Batcher` shared by the columns of the videos of
one job takes every video's frames (crops, pairs, clips) into the same batches instead:

- a column :meth:`Batcher.submit`\\ s its inputs one by one and gets a ticket for each;
- the input that fills a batch runs the forward, in the thread that submitted it;
- :meth:`Batcher.result` of a ticket whose batch is not full yet waits while the job's other
  tasks still run (they may fill it), and runs that partial batch once every task of the job
  waits too (its ``group``, :class:`msi.comparison.shared_decode.Pass`, tells): at the end of a
  job, or at once without a group;
- inputs of different ``group``\\ s (e.g. image sizes, which cannot be stacked) never share a batch.

Memory stays bounded: each group holds at most one unfinished batch of inputs, and a batch's
inputs are dropped once its forward has run; only the outputs (features) wait for their column.
The numbers are those of each video batched alone up to the summation order of the network's
kernels for another batch size (every network here treats the inputs of a batch independently).
Pure threading; the network itself is the ``forward`` given.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any


class _Batch:
    __slots__ = ("done", "error", "inputs", "out", "taken")

    def __init__(self) -> None:
        self.inputs: list | None = []
        self.out: Sequence | None = None
        self.error: BaseException | None = None
        self.taken = False  # a thread runs (or ran) its forward
        self.done = threading.Event()


class Batcher:
    """``forward(inputs: list) -> outputs`` (one output per input, indexable), run on at most
    ``size`` inputs at a time, the inputs gathered from every thread that submits them."""

    def __init__(self, forward: Callable[[list], Sequence], size: int, group: Any = None) -> None:
        if size < 1:
            raise ValueError(f"batch size must be at least 1, got {size}")
        self._forward = forward
        self.size = size
        self._group = group  # the job's tasks (``cond``, ``wait_for``, ``changed``), or None
        self._lock = threading.Lock()
        self._open: dict[Hashable, _Batch] = {}  # group -> the batch still taking inputs

    def submit(self, item: Any, group: Hashable = None) -> tuple[_Batch, int]:
        """Queue one input; the ticket :meth:`result` takes. Runs the forward when it fills a batch."""
        with self._lock:
            batch = self._open.get(group)
            if batch is None:
                batch = self._open[group] = _Batch()
            batch.inputs.append(item)
            ticket = (batch, len(batch.inputs) - 1)
            full = len(batch.inputs) >= self.size
            if full:
                del self._open[group]
                batch.taken = True
        if full:
            if self._group is not None:
                self._group.changed()  # a video waiting for this batch need not run it
            self._run(batch)
        return ticket

    def result(self, ticket: tuple[_Batch, int]) -> Any:
        """The output of a submitted input: its batch's forward is run now if nobody has taken it."""
        batch, i = ticket
        if self._group is not None and not batch.taken:
            with self._group.cond:  # other videos may still fill it; run it when nothing else can
                self._group.wait_for(lambda: batch.taken)
        with self._lock:
            run = not batch.taken
            if run:
                batch.taken = True
                for group, other in list(self._open.items()):
                    if other is batch:
                        del self._open[group]
        if run:
            self._run(batch)
        batch.done.wait()
        if batch.error is not None:
            raise batch.error
        return batch.out[i]

    def map(self, items: Iterable, group: Callable[[Any], Hashable] | None = None) -> list:
        """The outputs of ``items``, in their order (each submitted as it comes, then collected)."""
        tickets = [self.submit(x, None if group is None else group(x)) for x in items]
        return [self.result(t) for t in tickets]

    def _run(self, batch: _Batch) -> None:
        try:
            out = self._forward(batch.inputs)
            if len(out) != len(batch.inputs):
                raise RuntimeError(f"a forward of {len(batch.inputs)} inputs returned {len(out)} outputs")
            batch.out = out
        except BaseException as exc:  # noqa: BLE001 - every column with an input in this batch raises it
            batch.error = exc
        finally:
            batch.inputs = None  # the inputs (frames) are not kept past their forward
            batch.done.set()


class JobBatchers:
    """The :class:`Batcher` of each network of one job, by key (the network and whatever else
    decides what may share a batch), shared by its videos' columns; ``group``: the job's tasks."""

    def __init__(self, group: Any = None) -> None:
        self._group = group
        self._lock = threading.Lock()
        self._made: dict[Hashable, Batcher] = {}

    def get(self, key: Hashable, forward: Callable[[list], Sequence], size: int) -> Batcher:
        with self._lock:  # columns run in threads: the first to ask makes it
            if key not in self._made:
                self._made[key] = Batcher(forward, size, self._group)
            return self._made[key]
