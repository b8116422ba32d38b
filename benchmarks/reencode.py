"""Re-encoding a video as an upload would, for the marking benchmark and the watermark's tests
(``tests/generator/test_marking_watermark.py`` imports it from here: the library has no use for it)."""
from __future__ import annotations

from pathlib import Path

import av


def transcode(src: Path, dst: Path, *, crf: int = 23, filters: list[tuple[str, str]] = (), start: float = 0.0,
              audio_kbps: int | None = None) -> int:
    """Re-encode ``src`` as an upload would: FFmpeg filters (PyAV's filter graph, e.g. ``("scale",
    "128:128")``, ``("fps", "30")``) on the decoded frames, libx264 at ``crf`` (one thread: the same
    bytes everywhere), frames before ``start`` seconds dropped. With ``audio_kbps``, the speech
    track (from ``start`` on, at 16 kHz mono) is decoded and encoded again by FFmpeg's AAC at that
    rate. Returns the frames written."""
    from msi.io.audio import read_audio
    from msi.io.video import write_video

    out_fps = None
    with av.open(str(src)) as ic:
        stream = ic.streams.video[0]
        fps = float(stream.average_rate)
        graph = av.filter.Graph()
        chain = [graph.add_buffer(template=stream)]
        for name, arg in filters:
            chain.append(graph.add(name, arg))
            chain[-2].link_to(chain[-1])
            out_fps = float(arg) if name == "fps" else out_fps
        chain.append(graph.add("buffersink"))
        chain[-2].link_to(chain[-1])
        graph.configure()
        frames = []

        def drain():
            while True:
                try:
                    frames.append(graph.pull().to_ndarray(format="rgb24"))
                except (av.BlockingIOError, av.EOFError):
                    return

        for frame in ic.decode(stream):
            if frame.time >= start - 1e-6:
                graph.push(frame)
                drain()
        graph.push(None)
        drain()
    audio = None
    if audio_kbps:
        rate = 16000
        audio = read_audio(src, rate).samples[int(round(start * rate)):].astype("float32") / 32768.0
    write_video(dst, frames, fps=out_fps or fps, crf=crf, threads=1, audio=audio,
                audio_bit_rate=audio_kbps * 1000 if audio_kbps else None)
    return len(frames)
