"""espeak-ng through its C library: real speech, phoneme timings that match the audio, and the
one-line error naming the install command when the library is missing."""
from __future__ import annotations

import numpy as np
import pytest

from generator.corpus import espeak
from generator.cli import main
from generator.errors import GeneratorError

VOWELS = {"a", "A:", "aI", "aU", "E", "eI", "i:", "I", "0", "O:", "oU", "u:", "U", "V", "@", "3:", "a#"}


def _rms(wave: np.ndarray, sr: int, start: float, end: float) -> float:
    seg = wave[int(start * sr) : int(end * sr)]
    return float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if len(seg) else 0.0


def test_speech_and_phoneme_timings():
    sp = espeak.synthesize("Bob bought a blue boat. Then we waited.", voice="en-us+f3")
    assert sp.sample_rate == 22050
    assert sp.wave.dtype == np.float32 and 1.0 < sp.duration < 5.0
    assert np.abs(sp.wave).max() > 0.05  # real audio, not silence
    assert {"b", "O:", "u:", "oU", "w"} <= set(sp.phonemes)
    assert np.all(np.diff(sp.starts) >= 0) and np.all(sp.ends >= sp.starts)
    assert sp.ends[-1] == pytest.approx(sp.duration)
    # The timings match the audio: vowels are loud, the pause between the sentences is quiet.
    vowel = [_rms(sp.wave, sp.sample_rate, s, e) for p, s, e in zip(sp.phonemes, sp.starts, sp.ends) if p in VOWELS]
    pause = [_rms(sp.wave, sp.sample_rate, s + 0.02, e - 0.02) for p, s, e in zip(sp.phonemes, sp.starts, sp.ends)
             if p.startswith("_") and e - s > 0.1]
    assert vowel and pause
    assert np.median(vowel) > 10 * max(pause)


def test_rate_changes_duration_not_phonemes():
    slow = espeak.synthesize("Peter picked a peck of pickled peppers.", rate=120)
    fast = espeak.synthesize("Peter picked a peck of pickled peppers.", rate=240)
    assert slow.phonemes == fast.phonemes
    assert slow.duration > 1.5 * fast.duration


def test_empty_text_is_a_user_error():
    with pytest.raises(GeneratorError, match="empty"):
        espeak.synthesize("   ")


def test_missing_library_names_the_install_command():
    with pytest.raises(GeneratorError, match="apt-get install espeak-ng"):
        espeak.synthesize("hello", library="libespeak-ng-not-installed.so.1")


def test_cli_without_espeak_prints_one_line_and_fails(tmp_path, monkeypatch, capsys, stableface_error):
    # Simulates a machine without the Debian package (the library cannot be removed here).
    monkeypatch.setattr(espeak, "LIBRARY", "libespeak-ng-not-installed.so.1")
    code = main(["synth-corpus", "--out", str(tmp_path / "c"), "--minutes", "0.05", "--no-progress"])
    stableface_error(code, capsys.readouterr().err, "apt-get install espeak-ng")
    assert not (tmp_path / "c" / "corpus.json").exists()
