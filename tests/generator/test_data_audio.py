"""Audio decoding (PyAV), log-mel features and their per-video-frame windows."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from scipy.io import wavfile

from generator.data.audio import (
    FEATURE_RATE, LogMelConfig, frame_windows, load_audio, load_feature_file, logmel, mel_filterbank,
)
from generator.errors import GeneratorError


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """Real espeak-ng speech (22.05 kHz WAV)."""
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "Stable faces do not jitter when they speak."], check=True)
    return path


def test_load_audio_resamples_speech_to_16k_mono(speech):
    sr, raw = wavfile.read(speech)
    wave = load_audio(speech)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert len(wave) / 16000 == pytest.approx(len(raw) / sr, abs=2e-3)
    assert 0.05 < np.abs(wave).max() <= 1.0


def test_load_audio_mixes_channels_and_keeps_the_pitch(tmp_path):
    sr, f = 44100, 440.0
    t = np.arange(int(1.5 * sr)) / sr
    left = 0.5 * np.sin(2 * np.pi * f * t)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)  # tone left, silence right: the mix halves it
    wavfile.write(tmp_path / "tone.wav", sr, (stereo * 32767).astype(np.int16))
    wave = load_audio(tmp_path / "tone.wav")
    assert len(wave) == pytest.approx(1.5 * 16000, abs=32)
    spectrum = np.abs(np.fft.rfft(wave))
    assert np.fft.rfftfreq(len(wave), 1 / 16000)[spectrum.argmax()] == pytest.approx(f, abs=1.0)
    assert np.abs(wave).max() == pytest.approx(0.25, abs=0.01)


def test_load_audio_from_a_real_mp4_track(bunny):
    from msi.io.video import probe

    wave = load_audio(bunny)
    assert len(wave) / 16000 == pytest.approx(probe(bunny).duration, abs=0.1)
    assert np.abs(wave).max() > 0.01


def test_load_audio_from_mkv_and_mov_containers(bunny, tmp_path):
    """The same AAC track remuxed (not re-encoded) into other containers decodes identically."""
    import av

    ref = load_audio(bunny)
    for ext in ("mkv", "mov"):
        out = tmp_path / f"bunny.{ext}"
        with av.open(str(bunny)) as src, av.open(str(out), "w") as dst:
            stream = dst.add_stream_from_template(src.streams.audio[0])
            for packet in src.demux(src.streams.audio[0]):
                if packet.dts is not None:
                    packet.stream = stream
                    dst.mux(packet)
        wave = load_audio(out)
        assert abs(len(wave) - len(ref)) <= 1024
        n = min(len(wave), len(ref))
        assert np.corrcoef(wave[:n], ref[:n])[0, 1] > 0.99


def test_load_audio_bad_inputs(tmp_path, pristine):
    with pytest.raises(GeneratorError, match="no such audio file"):
        load_audio(tmp_path / "missing.wav")
    with pytest.raises(GeneratorError, match="no audio track"):
        load_audio(pristine)
    (tmp_path / "junk.wav").write_bytes(b"RIFF this is not audio at all" * 10)
    with pytest.raises(GeneratorError):
        load_audio(tmp_path / "junk.wav")


def test_mel_filterbank_is_slaney_shaped():
    fb = mel_filterbank(16000, 400, 80)
    assert fb.shape == (80, 201) and (fb >= 0).all()
    freqs = np.linspace(0, 8000, 201)
    peaks = freqs[fb.argmax(axis=1)]
    assert np.all(np.diff(peaks) >= 0)  # centres rise
    low, high = np.diff(peaks[1:20]).mean(), np.diff(peaks[-20:]).mean()
    assert high > 3 * low  # linear below 1 kHz, logarithmic above: wider bands up high
    areas = fb.sum(axis=1) * (freqs[1] - freqs[0])
    np.testing.assert_allclose(areas[20:], areas[20:].mean(), rtol=0.1)  # area-normalised ("slaney" norm)


def test_logmel_of_a_tone_peaks_at_its_frequency():
    sr = 16000
    for f in (300.0, 1000.0, 3000.0):
        wave = 0.3 * np.sin(2 * np.pi * f * np.arange(sr) / sr)
        m = logmel(wave, sr)
        assert m.shape == (1 + sr // 160, 80) and m.dtype == np.float32
        fb = mel_filterbank(sr, 400, 80)
        centre = np.linspace(0, sr / 2, 201)[fb.argmax(axis=1)]
        best = int(np.median(m.argmax(axis=1)))
        assert abs(centre[best] - f) <= 0.1 * f + 40


def test_logmel_of_silence_is_finite_and_floor():
    m = logmel(np.zeros(1600), 16000)
    assert np.isfinite(m).all()
    np.testing.assert_allclose(m, np.log(LogMelConfig().eps), rtol=1e-6)
    with pytest.raises(ValueError):
        logmel(np.zeros(1600), 22050)


def test_frame_windows_are_centred_on_each_frame():
    sr, fps, window = 16000, 25.0, 16
    wave = np.zeros(sr * 2)
    # A click at the middle of video frame 20: t = 20.5 / 25 = 0.82 s.
    click = int(round(20.5 / fps * sr))
    wave[click : click + 16] = 1.0
    feats = logmel(wave, sr)
    win = frame_windows(feats, 50, fps=fps, window=window)
    assert win.shape == (50, window, 80) and win.dtype == np.float32
    energy = win.mean(axis=2)  # (T, W)
    assert int(np.argmax(energy[20])) in (window // 2 - 1, window // 2)  # the click sits mid-window
    # Consecutive frames see it 4 feature frames (40 ms) apart.
    assert int(np.argmax(energy[19])) - int(np.argmax(energy[20])) == 4
    np.testing.assert_array_equal(win[20], feats[82 - window // 2 : 82 + window // 2])


def test_frame_windows_repeat_the_edges():
    feats = np.arange(30, dtype=np.float32)[:, None] * np.ones((1, 80), np.float32)
    win = frame_windows(feats, 8, fps=25.0, window=16, rate=FEATURE_RATE)
    assert (win[0, :6, 0] == 0).all()  # before the start: the first frame repeated
    assert (win[-1, -1, 0] == 29).all()  # past the end: the last one


def test_user_features_files(tmp_path):
    per_frame = np.random.default_rng(0).normal(size=(40, 8, 29)).astype(np.float32)
    np.save(tmp_path / "a.npy", per_frame)
    np.testing.assert_array_equal(load_feature_file(tmp_path / "a.npy", 40), per_frame)
    with pytest.raises(GeneratorError, match="40 windows but the video has 41"):
        load_feature_file(tmp_path / "a.npy", 41)
    deepspeech = np.random.default_rng(1).normal(size=(100, 29))  # 2 s at 50 per second
    np.save(tmp_path / "b.npy", deepspeech)
    win = load_feature_file(tmp_path / "b.npy", 50, fps=25.0, window=8, rate=50.0)
    assert win.shape == (50, 8, 29)
    np.testing.assert_allclose(win[10], deepspeech[21 - 4 : 21 + 4], rtol=1e-6)  # frame 10: t=0.42 s -> row 21
    with pytest.raises(GeneratorError, match="cover 2.00 s"):
        load_feature_file(tmp_path / "b.npy", 75, fps=25.0, rate=50.0)
    np.save(tmp_path / "c.npy", np.full((10, 4), np.nan))
    with pytest.raises(GeneratorError, match="finite"):
        load_feature_file(tmp_path / "c.npy", 4)
    np.save(tmp_path / "d.npy", np.zeros(10))
    with pytest.raises(GeneratorError, match="must be"):
        load_feature_file(tmp_path / "d.npy", 4)
