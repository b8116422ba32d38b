"""Cache entries read from threads, as msi compare's columns read theirs.

numpy parses each array's header with ``ast.literal_eval``, whose AST constructor is not safe to
run in two threads at once on CPython before 3.11.8 and 3.12.2 (a "SystemError: AST constructor
recursion depth mismatch", which the caches took for a damaged entry: removed and computed again).
The race itself is rare (once in 60 two-video compares), so these tests watch the header parse
directly: it is slowed down, and no two entry reads may parse at the same time."""
from __future__ import annotations

import ast
import threading
import time

import numpy as np
import pytest


@pytest.fixture
def parses_at_once(monkeypatch) -> list[int]:
    """[the most header parses that ran at once]; each parse takes 20 ms longer, so reads that
    are not serialised overlap for certain."""
    real, lock, state = ast.literal_eval, threading.Lock(), {"now": 0}
    peak = [0]

    def slow(node_or_string):
        with lock:
            state["now"] += 1
            peak[0] = max(peak[0], state["now"])
        try:
            time.sleep(0.02)
            return real(node_or_string)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(ast, "literal_eval", slow)
    return peak


def _in_threads(read, n: int = 4) -> list:
    out: list = [None] * n
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, read(i))) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_feature_cache_entries_read_from_threads_one_at_a_time(tmp_path, parses_at_once):
    from msi.io.feature_store import FeatureCache

    store = FeatureCache(str(tmp_path))
    keys = [f"{k:02d}" + "ab" * 19 for k in range(4)]
    for i, key in enumerate(keys):
        assert store.put(key, {"rows": np.full((3, 2), float(i)), "lpips": 0.1 * i}, [f"note {i}"], [])
    notes: list[str] = []
    got = _in_threads(lambda i: store.get(keys[i], notes))
    assert parses_at_once[0] == 1
    assert notes == [] and store.hits == 4
    for i, (values, found) in enumerate(got):
        assert values["lpips"] == pytest.approx(0.1 * i) and values["rows"].tolist() == [[float(i)] * 2] * 3
        assert found == [f"note {i}"]


def test_landmark_cache_entries_read_from_threads_one_at_a_time(tmp_path, parses_at_once):
    from msi.io.cache import LandmarkCache

    cache = LandmarkCache(str(tmp_path))
    keys = [f"{k:02d}" + "cd" * 19 for k in range(4)]
    for i, key in enumerate(keys):
        assert cache.put(key, np.full((5, 478, 3), float(i), np.float32), {"fps": 25.0})
    got = _in_threads(lambda i: cache.get(keys[i]))
    assert parses_at_once[0] == 1
    assert cache.warnings == []
    assert [float(e["landmarks"][0, 0, 0]) for e in got] == [0.0, 1.0, 2.0, 3.0]
