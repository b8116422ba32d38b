"""The metric registry: every `msi compare` column declared once, the CLI and the tables built
from it, and one policy for a metric whose input is missing or unusable."""
from __future__ import annotations

import pytest


def test_every_column_is_declared_once_and_complete():
    from msi.metrics.registry import COLUMNS
    from msi.metrics.column import NEEDS
    from msi.metrics.registry import VIDEO_METRICS

    names = [c.name for m in VIDEO_METRICS for c in m.columns]
    assert len(names) == len(set(names)) and list(COLUMNS) == names
    for c in COLUMNS.values():
        assert c.better in (-1, 0, 1) and set(c.needs) <= set(NEEDS) and c.help and c.label, c
        assert "\n" not in c.help, c.name


def test_compare_help_lists_every_column_with_its_help(run_cli):
    from msi.metrics.registry import COLUMNS

    code, out, err = run_cli(["compare", "--help"])
    assert code == 0 and err == ""
    lines = out.splitlines()
    for c in COLUMNS.values():
        line = next((ln for ln in lines if ln.split()[:1] == [c.name]), None)
        assert line is not None and c.help in line, c.name


def test_a_metric_whose_input_is_unusable_is_nan_and_one_warning(pristine):
    """The policy of :func:`msi.comparison.video_columns.run_metric`, on the real clip's context (nothing is
    tracked: the metrics below never ask for the landmarks)."""
    from msi.comparison.video_columns import run_metric, video_context
    from msi.errors import MSIError
    from msi.metrics.column import Column, Metric
    from msi.settings import Settings

    ctx = video_context(pristine, Settings())

    def broken(_):
        raise MSIError(f"{pristine}: the input is unusable")

    col = Column("x", "X", +1, help="x")
    assert run_metric(Metric((col,), broken), ctx) == {}
    assert ctx.notes == ["X skipped: the input is unusable"]
    # a missing truth or weights: NaN without a warning; a missing audio track: one warning
    assert run_metric(Metric((Column("y", "Y", +1, ("truth",), help="y"),), broken), ctx) == {}
    assert run_metric(Metric((Column("z", "Z", +1, ("weights",), help="z"),), broken), ctx) == {}
    assert run_metric(Metric((Column("a", "A", +1, ("audio",), help="a"),), broken), ctx) == {}
    assert run_metric(Metric((Column("b", "B", +1, ("audio",), help="b"),), broken), ctx) == {}
    assert ctx.notes == ["X skipped: the input is unusable", "audio columns skipped: has no audio track"]

    class BadWeights(MSIError):
        kind = "bad_weights"

    def bad_weights(_):
        raise BadWeights("not SyncNet weights")

    with pytest.raises(BadWeights):  # the user's mistake stops the run, it is no video's NaN
        run_metric(Metric((col,), bad_weights), ctx)
    assert run_metric(Metric((col,), lambda c: {"x": 1.5}), ctx) == {"x": 1.5}


def test_a_failed_load_is_not_repeated(tmp_path):
    """A context part that fails (here: the video does not exist) raises the same error again
    without loading a second time."""
    from msi.comparison.video_columns import video_context
    from msi.errors import MSIError
    from msi.settings import Settings

    ctx = video_context(tmp_path / "missing.mp4", Settings())
    with pytest.raises(MSIError) as first:
        ctx.audio
    with pytest.raises(MSIError) as second:
        ctx.audio
    assert first.value is second.value

