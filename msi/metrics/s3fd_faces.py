"""LSE-C / LSE-D on syncnet_python's own face crops (``msi compare --lse-faces s3fd``).

syncnet_python's pipeline (Chung & Zisserman 2016; ``run_pipeline.py``, and the
``SyncNetPipeline`` of PyPI's ``syncnet-python``), reproduced step by step:

1. the video at 25 fps (the frame on screen at each k / 25 s), the audio at 16 kHz mono;
2. S3FD face detection on every frame at a quarter of its size, detections scoring over 0.9
   (:func:`msi.networks.s3fd.detect_faces`);
3. tracking: a track starts at the first remaining detection and takes, frame after frame, the
   first remaining detection that overlaps its last box by IoU > 0.5 within 25 frames of it;
   tracks of more than ``min_track`` frames (100: 4 s) whose mean box side exceeds 100 px are kept,
   their boxes linearly interpolated over missed frames;
4. crops: box centre and half-size s = max(w, h) / 2 median-filtered over 13 frames; the frame
   padded with grey 110, cut at rows cy − s .. cy + 1.8 s and columns cx ± 1.4 s (crop scale
   0.4), resized to 224 × 224 (:func:`msi.metrics.syncnet.crop_face`);
5. SyncNet on each track's crops and the audio of its frames ([first / 25, (last + 1) / 25) s);
   LSE-C is the highest confidence over tracks, LSE-D the lowest distance, the AV offset that of
   the most confident track (as ``SyncNetPipeline.inference`` returns them).

Deviations, documented: syncnet_python first splits the video into shots with PySceneDetect
and tracks inside each; here the clip is one shot (talking-face test clips are). syncnet_python
writes each track's crops as an XVID video and reads them back as JPEG frames (lossy, twice);
here the crops go to SyncNet as they are. The frames come from our decoder (PyAV), not from an
ffmpeg re-encode to MPEG-4 AVI at quality 2 and JPEG frames.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from msi.errors import MSIError, NoFace

#: syncnet_python's pipeline settings (run_pipeline.py's defaults).
DETECT_SCALE = 0.25
DETECT_CONF = 0.9
MIN_TRACK = 100  # frames at 25 fps: a track must be longer (MoChaBench's copy uses 50)
MAX_MISSED = 25  # frames a track may go without a detection
TRACK_IOU = 0.5
MIN_FACE_SIZE = 100  # px: mean box width or height


@dataclass
class Track:
    frames: np.ndarray  # (n,) consecutive frame indices at 25 fps
    boxes: np.ndarray  # (n, 4) x0, y0, x1, y1, interpolated over missed frames


def iou(a, b) -> float:
    """Intersection over union of two x0, y0, x1, y1 boxes (syncnet_python's ``bb_intersection_over_union``)."""
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-8)


def track_faces(detections: list[np.ndarray], min_track: int = MIN_TRACK, max_missed: int = MAX_MISSED,
                min_face_size: float = MIN_FACE_SIZE) -> list[Track]:
    """Face tracks from per-frame detections ((n_k, 4+) boxes per frame), as syncnet_python's
    ``track_shot``: greedy, one pass over the frames per track, each detection used once.

    The reference walks each frame's list while removing from it, so after taking a detection it
    skips the one that followed; that walk is kept, for the same tracks."""
    left = [[(k, [float(v) for v in b[:4]]) for b in boxes] for k, boxes in enumerate(detections)]
    tracks: list[Track] = []
    while True:
        track: list[tuple[int, list[float]]] = []
        for faces in left:
            i = 0
            while i < len(faces):
                k, box = faces[i]
                if not track or (k - track[-1][0] <= max_missed and iou(box, track[-1][1]) > TRACK_IOU):
                    track.append(faces.pop(i))
                    i += 1  # the reference's iterator moves on past the next detection
                    continue
                break
        if not track:
            return tracks
        if len(track) > min_track:
            fr = np.array([k for k, _ in track])
            bb = np.array([b for _, b in track])
            full = np.arange(fr[0], fr[-1] + 1)
            boxes = np.stack([np.interp(full, fr, bb[:, i]) for i in range(4)], 1)
            if max(np.mean(boxes[:, 2] - boxes[:, 0]), np.mean(boxes[:, 3] - boxes[:, 1])) > min_face_size:
                tracks.append(Track(full, boxes))


@dataclass
class S3FDSync:
    lse_c: float
    lse_d: float
    offset: int
    tracks: list[Track]
    per_track: list = field(default_factory=list)  # msi.metrics.syncnet.SyncResult per track
    notes: list[str] = field(default_factory=list)


def track_crops(frames: list[np.ndarray], track: Track) -> np.ndarray:
    """(n, 224, 224, 3) crops of a track (syncnet_python's ``crop_video`` geometry and smoothing)."""
    from msi.metrics.syncnet import crop_face, crop_track

    smooth = crop_track(track.boxes)
    return np.stack([crop_face(frames[k], *smooth[i]) for i, k in enumerate(track.frames)])


def track_audio(samples: np.ndarray, track: Track, sample_rate: int = 16000, fps: float = 25.0) -> np.ndarray:
    """The samples of a track's time span [first / fps, (last + 1) / fps)."""
    a = int(round(track.frames[0] / fps * sample_rate))
    b = int(round((track.frames[-1] + 1) / fps * sample_rate))
    return samples[a:b]


def s3fd_sync(frames: list[np.ndarray], samples: np.ndarray, detector, syncnet, min_track: int = MIN_TRACK,
              sample_rate: int = 16000) -> S3FDSync:
    """LSE-C / LSE-D of RGB frames at 25 fps and int16 audio at 16 kHz, on S3FD's tracks."""
    from msi.metrics.syncnet import SyncResult, sync_scores
    from msi.networks.s3fd import detect_faces

    if len(frames) <= min_track:  # no track can be long enough: no need to detect
        raise NoFace(f"{len(frames)} frames at 25 fps: syncnet_python keeps face tracks of more than {min_track} "
                     f"frames ({min_track / 25:g} s)")
    dets = [detect_faces(detector, f, DETECT_CONF, DETECT_SCALE) for f in frames]
    tracks = track_faces(dets, min_track)
    if not tracks:
        found = sum(len(d) > 0 for d in dets)
        raise NoFace(f"S3FD found a face in {found} of {len(frames)} frames and no track of more than {min_track} "
                     f"frames with a face over {MIN_FACE_SIZE} px (syncnet_python's rule)")
    results: list[SyncResult] = []
    for t in tracks:
        results.append(sync_scores(syncnet, track_crops(frames, t), track_audio(samples, t, sample_rate),
                                   sample_rate, channel_order="rgb"))
    best = int(np.argmax([r.lse_c for r in results]))
    notes = [f"{len(tracks)} S3FD face tracks: LSE-C is the best track's, LSE-D the lowest"] if len(tracks) > 1 else []
    return S3FDSync(lse_c=results[best].lse_c, lse_d=min(r.lse_d for r in results), offset=results[best].offset,
                    tracks=tracks, per_track=results, notes=notes)


def video_s3fd_sync(path: str, detector, syncnet, min_track: int = MIN_TRACK) -> S3FDSync:
    """:func:`s3fd_sync` of a video file: frames resampled to 25 fps, audio to 16 kHz mono."""
    from msi.io.audio import read_audio
    from msi.io.video import iter_frames, probe
    from msi.metrics.syncnet import SYNC_FPS, SYNC_SAMPLE_RATE, resample_indices

    info = probe(path)
    frames = list(iter_frames(path))
    notes = []
    if not math.isclose(info.fps, SYNC_FPS, rel_tol=1e-3):
        frames = [frames[j] for j in resample_indices(len(frames), info.fps)]
        notes.append(f"resampled from {info.fps:.3g} to 25 fps for SyncNet")
    audio = read_audio(path, SYNC_SAMPLE_RATE)
    if audio.source_rate != SYNC_SAMPLE_RATE:
        notes.append(f"audio resampled from {audio.source_rate} Hz to 16 kHz for SyncNet")
    try:
        res = s3fd_sync(frames, audio.samples, detector, syncnet, min_track)
    except MSIError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    res.notes = notes + res.notes
    return res
