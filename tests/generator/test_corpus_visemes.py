"""Phonemes -> mouth tracks: lips close on p/b/m, open on open vowels, round on o/u/w, and
coarticulation blends neighbours (pure functions, plus real espeak-ng timings)."""
from __future__ import annotations

import numpy as np
import pytest

from generator.corpus import espeak
from generator.corpus.visemes import expand_diphthongs, mouth_tracks, viseme_of

FPS = 25


def _segments(spec):
    """[(phoneme, seconds), ...] -> names, starts, ends."""
    names = [p for p, _ in spec]
    d = np.array([t for _, t in spec])
    ends = np.cumsum(d)
    return names, ends - d, ends


def _frames_of(starts, ends, i):
    """Frames whose time lies in the middle half of segment i."""
    a, b = starts[i], ends[i]
    q = 0.25 * (b - a)
    t = np.arange(int(ends[-1] * FPS) + 1) / FPS
    return np.flatnonzero((t >= a + q) & (t <= b - q))


def test_targets_by_class():
    assert viseme_of("p").opening == viseme_of("b").opening == viseme_of("m").opening == 0
    assert viseme_of("A:").opening > 0.8 and viseme_of("a").opening > 0.8
    assert viseme_of("u:").rounding == 1 and viseme_of("w").rounding == 1 and viseme_of("O:").rounding > 0.5
    assert viseme_of("i:").width > 0.5 and viseme_of("u:").width < -0.5
    assert viseme_of("_:").opening == 0  # pause: rest, mouth closed
    assert 0 < viseme_of("Q?").opening < 1  # unknown symbol: a weak neutral shape, no crash


def test_bilabial_closes_between_open_vowels():
    names, s, e = _segments([("_", 0.2), ("A:", 0.2), ("b", 0.08), ("A:", 0.2), ("_", 0.2)])
    m = mouth_tracks(names, s, e, n_frames=int(e[-1] * FPS), fps=FPS)
    open_ = m[_frames_of(s, e, 1), 0].mean()
    closed = m[int(round((s[2] + e[2]) / 2 * FPS)), 0]
    assert open_ > 0.7
    assert closed < 0.15  # the lips really close on a short /b/
    assert m[0, 0] < 0.05  # rest before speech


def test_rounding_and_spreading():
    names, s, e = _segments([("_", 0.2), ("u:", 0.25), ("_", 0.2), ("i:", 0.25), ("_", 0.2)])
    m = mouth_tracks(names, s, e, n_frames=int(e[-1] * FPS), fps=FPS)
    u, i = _frames_of(s, e, 1), _frames_of(s, e, 3)
    assert m[u, 2].mean() > 0.7 and m[i, 2].mean() < 0.1
    assert m[u, 1].mean() < -0.4 and m[i, 1].mean() > 0.4


def test_coarticulation_is_smooth_and_anticipatory():
    names, s, e = _segments([("_", 0.3), ("A:", 0.3), ("_", 0.3)])
    m = mouth_tracks(names, s, e, n_frames=int(e[-1] * FPS), fps=FPS)
    start = int(s[1] * FPS)
    assert 0.02 < m[start - 1, 0] < m[start, 0]  # opening starts before the vowel does
    assert np.abs(np.diff(m[:, 0])).max() < 0.6  # no jump to full opening within one frame


def test_diphthongs_split_in_two():
    names, s, e = expand_diphthongs(["aI"], np.array([0.0]), np.array([0.2]))
    assert names == ["a", "I"] and np.allclose(s, [0, 0.1]) and np.allclose(e, [0.1, 0.2])


def test_real_speech_lips_close_on_m():
    sp = espeak.synthesize("Mama made me mash my plum pie.", voice="en-us+f3")
    n = int(sp.duration * FPS)
    m = mouth_tracks(sp.phonemes, sp.starts, sp.ends, n, FPS)
    mid = lambda i: min(n - 1, int(round((sp.starts[i] + sp.ends[i]) / 2 * FPS)))  # noqa: E731
    bil = [m[mid(i), 0] for i, p in enumerate(sp.phonemes) if p in ("m", "p") and sp.ends[i] - sp.starts[i] > 0.04]
    vow = [m[mid(i), 0] for i, p in enumerate(sp.phonemes) if p in ("a", "A:", "aI", "a#")]
    assert len(bil) >= 4 and len(vow) >= 2
    assert np.median(bil) < 0.15 and np.median(vow) > 0.4
    assert np.median(vow) > 3 * np.median(bil)


@pytest.mark.slow
def test_every_phoneme_espeak_speaks_has_its_own_viseme():
    """No phoneme of the corpus sentences falls back to the generic shape."""
    from generator.corpus.sentences import FIXED, composed
    from generator.corpus.visemes import DIPHTHONGS, VISEMES

    rng = np.random.default_rng(0)
    texts = list(FIXED[::2]) + [composed(rng) for _ in range(10)]
    seen = set()
    for t in texts:
        seen |= set(espeak.synthesize(t, voice="en-us+f3").phonemes)
    assert len(seen) > 30
    assert seen <= set(VISEMES) | set(DIPHTHONGS), sorted(seen - set(VISEMES) - set(DIPHTHONGS))
