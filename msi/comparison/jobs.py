"""One job of ``msi compare``: an utterance (each method's video of one name and its truth) to
its rows, wherever it runs (a local worker, a Dask worker), and the row of a video that failed."""

from __future__ import annotations

from msi.errors import MSIError
from msi.io.remote import display_path, redact_text  # string work: fsspec loads only for a URL
from msi.comparison.video_columns import empty_row, utterance_columns, without_path


def utterance_rows(args: tuple) -> list[dict]:
    """One utterance: each method's video of that name and its truth, in one pass
    (:func:`msi.comparison.video_columns.utterance_columns`) -> the methods' rows, then the
    truth's features row (``method`` None) when the set-level metrics need it."""
    name, videos, truth, weights, settings, cache, csettings, nets, truth_features, device, batch, threads = args
    from msi.metrics.networks import use_device

    use_device(device, batch)  # this process's networks: on the run's device, its batch size
    restore = []  # the thread pools as they were (the parent process runs jobs too: msi.parallel)
    if threads:  # workers x threads <= cores: OpenCV's pool (SSIM's filters, resizes) sized as torch's
        import cv2

        if cv2.getNumThreads() > threads:
            restore.append((cv2.setNumThreads, cv2.getNumThreads()))
            cv2.setNumThreads(threads)
    if threads and (nets or weights) and device == "cpu":  # workers x torch threads <= cores
        import torch

        if torch.get_num_threads() > threads:
            restore.append((torch.set_num_threads, torch.get_num_threads()))
            torch.set_num_threads(threads)
    try:
        return _rows(name, videos, truth, weights, settings, cache, csettings, nets, truth_features)
    finally:
        for set_threads, n in restore:
            set_threads(n)


def _rows(name, videos, truth, weights, settings, cache, csettings, nets, truth_features) -> list[dict]:
    try:
        results, truth_row = utterance_columns(videos, truth, weights, settings, cache, csettings, nets,
                                               truth_features)
    except Exception as exc:  # noqa: BLE001 - never expected; one utterance never sinks the batch
        results = {m: exc for m in videos}
        truth_row = None
        if truth_features and truth is not None:
            truth_row = {"path": display_path(truth), "features": {}, "warnings": [],
                         "error": redact_text(f"unexpected {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")}
    rows = []
    for method, path in videos.items():
        row = results[method]
        if isinstance(row, BaseException):
            rows.append(error_row(path, row))
        else:
            rows.append(row)
        rows[-1].update(method=method, name=name)
    if truth_row is not None:
        truth_row.update(method=None, name=name)
        rows.append(truth_row)
    return rows


def error_row(path: str, exc: BaseException) -> dict:
    """The row of a video that could not be scored: NaN cells, the one-line error and its kind."""
    shown = display_path(path)  # a URL without its userinfo and query string
    row = empty_row(shown)
    if isinstance(exc, MSIError):
        row.update(error=redact_text(without_path(exc, shown)), error_kind=exc.kind)
    else:  # one bad video never sinks the batch; the message stays one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        row.update(error=redact_text(f"unexpected {type(exc).__name__}: {first}"), error_kind="internal")
    return row
