"""Audio with damaged packets: decoded past the damage, lost spans filled with silence on the
stream's own timestamps (sync kept), with a note. A real AAC track muxed by PyAV, then bytes
flipped inside chosen audio packets (what a bad sector or a broken download does)."""
from __future__ import annotations

import av
import numpy as np
import pytest

from generator.data.audio import load_audio
from msi.io.video import write_video

SR = 16000


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio_damage")
    t = np.arange(SR * 3) / SR
    wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    good = write_video(d / "good.mp4", np.zeros((75, 64, 64, 3), np.uint8), fps=25, audio=wave, sample_rate=SR)
    with av.open(str(good)) as c:
        packets = [(p.pos, p.size, float(p.pts * p.time_base)) for p in c.demux(c.streams.audio[0]) if p.size]
    with av.open(str(good)) as c:
        t0 = next(c.decode(audio=0)).time  # sample 0 of the decoded wave (AAC priming is dropped)
    data = bytearray(good.read_bytes())
    hit = packets[10:14] + packets[30:31]
    for pos, size, _ in hit:
        for i in range(pos + 2, pos + size - 1):
            data[i] ^= 0x5A
    bad = d / "bad.mp4"
    bad.write_bytes(bytes(data))
    return good, bad, [t for _, _, t in hit], t0


def test_damaged_packets_become_silence_in_place(damaged):
    good, bad, hit_times, t0 = damaged
    ref = load_audio(good)
    notes: list[str] = []
    wave = load_audio(bad, notes=notes)  # before: GeneratorError "cannot decode the audio"
    assert len(wave) == len(ref)  # nothing dropped: what follows the damage keeps its time
    assert len(notes) == 1 and "5 damaged audio packet(s)" in notes[0] and "0.320 s" in notes[0]
    for t in hit_times:  # each lost 1024-sample AAC frame is silent, at its own time
        a = int(round((t - t0) * SR))
        assert np.all(wave[a + 64:a + 1024 - 64] == 0), t
    # away from the damage (AAC frames overlap their neighbours) the samples are the intact ones
    far = np.ones(len(ref), bool)
    for t in hit_times:
        a = int(round((t - t0) * SR))
        far[max(0, a - 2048):a + 3072] = False
    assert np.allclose(wave[far], ref[far], atol=1e-6)


def test_intact_file_gives_no_note(damaged):
    good, *_ = damaged
    notes: list[str] = []
    load_audio(good, notes=notes)
    assert notes == []
