"""LSE-C and LSE-D (Sync-C / Sync-D): SyncNet's lip-sync confidence and distance, in torch.

Computed exactly as ``syncnet_python`` (Chung & Zisserman, "Out of time: automated lip sync in the
wild", ACCV workshops 2016; https://github.com/joonson/syncnet_python) and Wav2Lip's evaluation
compute them, on frames at 25 fps and audio at 16 kHz:

* video features: SyncNet's lip stream on every 5-frame window of 224×224 BGR face crops
  (raw 0..255 values); audio features: its audio stream on the 20 MFCC frames (0.2 s) of the same
  window (13 coefficients, ``python_speech_features.mfcc`` defaults, int16 samples);
* for every window i and shift s ∈ [−15, 15]: d_i(s) = ‖v_i − a_{i+s}‖₂ (zero audio features
  outside the clip); mean over windows D(s) = mean_i d_i(s);
* **LSE-D** = min_s D(s), **LSE-C** = median_s D(s) − min_s D(s), AV offset = 15 − argmin_s
  (syncnet_python's sign: negative when the audio lags the video).

Deviation, documented: syncnet_python finds faces with S3FD; here the face box of each frame is the
bounding box of our MediaPipe face mesh (``msi.tracking``), cropped with syncnet_python's geometry
(median-filtered over 13 frames, crop scale 0.4, grey padding 110, resized to 224×224).
Weights are read from a user path in the official state-dict format (``syncnet_v2.model``);
nothing is downloaded. This is the only ``msi`` module that imports torch.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import torch
from torch import nn

from msi.errors import BadWeights, MSIError, TooShort  # noqa: F401  (BadWeights: re-exported)
from msi.networks.batching import Batcher

SYNC_FPS = 25.0
SYNC_SAMPLE_RATE = 16000
VSHIFT = 15  # offsets searched: -15..15 frames
WINDOW = 5  # video frames per SyncNet input
MFCC_PER_FRAME = 4  # 100 MFCC frames/s over 25 video frames/s
BATCH = 20  # syncnet_python's default batch size
FACE_SIZE = 224  # side of the face crop SyncNet reads (syncnet_python: 224x224)
CROP_SCALE = 0.4  # syncnet_python run_pipeline --crop_scale
CROP_PAD_VALUE = 110
CROP_SMOOTH = 13  # median filter (frames) over box centre and size


class SyncNet(nn.Module):
    """SyncNet v2 (syncnet_python's ``SyncNetModel.S``): same layers and parameter names, so the
    official ``syncnet_v2.model`` state dict loads unchanged."""

    def __init__(self, embedding: int = 1024) -> None:
        super().__init__()

        def c2(i, o, k, p=(1, 1), s=(1, 1)):
            return [nn.Conv2d(i, o, kernel_size=k, stride=s, padding=p), nn.BatchNorm2d(o)]

        self.netcnnaud = nn.Sequential(
            *c2(1, 64, (3, 3)), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=(1, 1), stride=(1, 1)),
            *c2(64, 192, (3, 3)), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=(3, 3), stride=(1, 2)),
            *c2(192, 384, (3, 3)), nn.ReLU(inplace=True),
            *c2(384, 256, (3, 3)), nn.ReLU(inplace=True),
            *c2(256, 256, (3, 3)), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=(3, 3), stride=(2, 2)),
            *c2(256, 512, (5, 4), p=(0, 0)), nn.ReLU(),
        )

        def fc():
            return nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, embedding))

        self.netfcaud = fc()
        self.netfclip = fc()

        def c3(i, o, k, s=(1, 1, 1), p=0):
            return [nn.Conv3d(i, o, kernel_size=k, stride=s, padding=p), nn.BatchNorm3d(o), nn.ReLU(inplace=True)]

        self.netcnnlip = nn.Sequential(
            *c3(3, 96, (5, 7, 7), s=(1, 2, 2)), nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2)),
            *c3(96, 256, (1, 5, 5), s=(1, 2, 2), p=(0, 1, 1)),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            *c3(256, 256, (1, 3, 3), p=(0, 1, 1)),
            *c3(256, 256, (1, 3, 3), p=(0, 1, 1)),
            *c3(256, 256, (1, 3, 3), p=(0, 1, 1)), nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2)),
            *c3(256, 512, (1, 6, 6)),
        )

    def forward_aud(self, x: torch.Tensor) -> torch.Tensor:
        return self.netfcaud(self.netcnnaud(x).flatten(1))

    def forward_lip(self, x: torch.Tensor) -> torch.Tensor:
        return self.netfclip(self.netcnnlip(x).flatten(1))


def load_syncnet(path: str | os.PathLike) -> SyncNet:
    """SyncNet with weights from ``path``: a state dict as syncnet_python's ``syncnet_v2.model``
    (``netcnnaud.0.weight``, ...; a ``__S__.`` or ``module.`` prefix is accepted). Raises
    :class:`BadWeights` for a missing, unreadable or mismatched file."""
    from msi.io.paths import check_weights_file

    p = check_weights_file(path, "syncnet_python's SyncNet v2 weights (syncnet_v2.model)")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and format errors: one line for the user
        raise BadWeights(f"{p}: not a readable SyncNet state dict ({type(exc).__name__})") from None
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    if not isinstance(state, dict):
        raise BadWeights(f"{p}: expected a state dict, found {type(state).__name__}")
    state = {k.removeprefix("module.").removeprefix("__S__."): v for k, v in state.items()}
    net = SyncNet()
    own = net.state_dict()
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unknown = [k for k in state if k not in own]
    if missing or unknown:
        raise BadWeights(f"{p}: not SyncNet v2 weights ({len(missing)} missing, {len(unknown)} unknown "
                         f"parameters, e.g. {(missing or unknown)[0]})")
    for k, v in state.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise BadWeights(f"{p}: parameter {k} has shape {tuple(v.shape)}, SyncNet v2 has {tuple(own[k].shape)}")
        own[k].copy_(v)
    return net.eval()


def mfcc_features(audio: np.ndarray, sample_rate: int = SYNC_SAMPLE_RATE) -> np.ndarray:
    """(13, N) MFCCs, 100 per second: ``python_speech_features.mfcc`` with its defaults (25 ms window,
    10 ms step, 26 filters, 512-point FFT, pre-emphasis 0.97, log energy as coefficient 0), on the
    int16 samples as syncnet_python reads them from its WAV."""
    import python_speech_features

    return np.asarray(python_speech_features.mfcc(audio, sample_rate)).T


@dataclass
class SyncResult:
    """syncnet_python's three numbers, plus the mean distance per shift."""

    lse_c: float  # confidence: median - min of the mean distances (higher = better sync)
    lse_d: float  # min of the mean distances (lower = better sync)
    offset: int  # syncnet_python's AV offset in frames at 25 fps (negative: audio lags video)
    windows: int
    mean_dists: np.ndarray = field(repr=False, default=None)  # (31,) over shifts -15..15
    notes: list[str] = field(default_factory=list)


@torch.no_grad()
def sync_forward(net: SyncNet, windows: list[tuple[np.ndarray, torch.Tensor]]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(lip, audio) embeddings of windows: each (5 BGR crops (5, 224, 224, 3) uint8, its MFCC
    slice (1, 1, 13, 20)), one forward of each stream."""
    from msi.networks.device import device_of

    # (B, 3, 5, 224, 224) float: channels first, time second (as the reference's transpose)
    vid = np.stack([w for w, _ in windows]).transpose(0, 4, 1, 2, 3)
    im = net.forward_lip(torch.from_numpy(np.ascontiguousarray(vid, dtype=np.float64)).float().to(device_of(net)))
    cc = net.forward_aud(torch.cat([a for _, a in windows], 0))
    return list(zip(im, cc))


@torch.no_grad()
def sync_scores(net: SyncNet, crops: np.ndarray, audio: np.ndarray, sample_rate: int = SYNC_SAMPLE_RATE,
                vshift: int = VSHIFT, batch_size: int = BATCH, channel_order: str = "rgb",
                batcher: Batcher | None = None) -> SyncResult:
    """LSE-C / LSE-D of face crops (T, 224, 224, 3) uint8 at 25 fps and int16 mono audio at 16 kHz.

    Follows ``SyncNetInstance.evaluate`` of syncnet_python step by step (see the module docstring):
    T' = min(T, ⌊len(audio) / 640⌋) usable frames, windows at frames 0 .. T' − 6 (as the reference,
    which drops the last possible window), pairwise distance with torch's eps 1e-6. The network sees
    BGR: ``channel_order="rgb"`` (PyAV's) is flipped, ``"bgr"`` (OpenCV's) is used as it is.
    Windows go through the network ``batch_size`` at a time (:func:`sync_forward`), or in the
    batches of ``batcher`` (shared with other videos': :mod:`msi.networks.batching`).
    """
    if sample_rate != SYNC_SAMPLE_RATE:
        raise ValueError(f"SyncNet needs 16 kHz audio (got {sample_rate} Hz); resample it first")
    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.shape[1:] != (FACE_SIZE, FACE_SIZE, 3):
        raise ValueError(f"crops must be (T, 224, 224, 3), got {crops.shape}")
    bgr = crops[..., ::-1] if channel_order == "rgb" else crops
    from msi.networks.device import device_of

    dev = device_of(net)  # inputs go where the network is (msi.networks.device)
    mfcc = torch.from_numpy(mfcc_features(audio, sample_rate).astype(float)).float()[None, None].to(dev)  # (1,1,13,N)
    n = min(len(bgr), math.floor(len(audio) / (sample_rate / SYNC_FPS)))
    last = n - WINDOW
    if last < 1:
        raise TooShort(f"{len(bgr)} frames / {len(audio) / sample_rate:.2f} s of audio: SyncNet needs at least "
                       f"{WINDOW + 1} frames at 25 fps with audio")
    net.eval()
    batcher = batcher or Batcher(lambda windows: sync_forward(net, windows), batch_size)
    rows = batcher.map((bgr[v:v + WINDOW], mfcc[:, :, :, v * MFCC_PER_FRAME:v * MFCC_PER_FRAME + 20])
                       for v in range(last))
    im = torch.stack([r[0] for r in rows])
    cc = torch.stack([r[1] for r in rows])
    win = 2 * vshift + 1
    ccp = torch.nn.functional.pad(cc, (0, 0, vshift, vshift))
    dists = torch.stack([torch.nn.functional.pairwise_distance(im[[i], :].repeat(win, 1), ccp[i:i + win, :])
                         for i in range(len(im))], 1)  # (31, windows)
    mdist = torch.mean(dists, 1)
    minval, minidx = torch.min(mdist, 0)
    conf = torch.median(mdist) - minval
    notes = []
    if abs(len(audio) / sample_rate - len(bgr) / SYNC_FPS) > 1 / SYNC_FPS:
        notes.append(f"audio ({len(audio) / sample_rate:.2f} s) and video ({len(bgr) / SYNC_FPS:.2f} s) "
                     "differ in length: scored on the common part")
    return SyncResult(lse_c=float(conf), lse_d=float(minval), offset=int(vshift - minidx),
                      windows=len(im), mean_dists=mdist.cpu().numpy(), notes=notes)


# ----------------------------------------------------------------------------- crops and resampling


def face_boxes(landmarks: np.ndarray) -> np.ndarray:
    """(T, 4) x0, y0, x1, y1 per frame: the bounding box of the face mesh (NaN without a face)."""
    lm = np.asarray(landmarks, dtype=np.float64)[..., :2]
    # a frame is either fully tracked or all NaN (no face): plain min/max give NaN boxes there
    return np.stack([lm[..., 0].min(1), lm[..., 1].min(1), lm[..., 0].max(1), lm[..., 1].max(1)], axis=1)


def crop_track(boxes: np.ndarray) -> np.ndarray:
    """(T, 3) crop centre x, centre y and half-size s, smoothed as syncnet_python's ``crop_video``:
    s = max(box height, width) / 2, each median-filtered over 13 frames (frames without a face take
    the nearest face's box first)."""
    from scipy.signal import medfilt

    b = np.asarray(boxes, dtype=np.float64)
    ok = np.isfinite(b).all(axis=1)
    if not ok.any():
        raise ValueError("no frame with a face")
    if not ok.all():
        have = np.flatnonzero(ok)
        b = b[have[np.abs(have[None, :] - np.arange(len(b))[:, None]).argmin(axis=1)]]
    s = np.maximum(b[:, 3] - b[:, 1], b[:, 2] - b[:, 0]) / 2
    y = (b[:, 1] + b[:, 3]) / 2
    x = (b[:, 0] + b[:, 2]) / 2
    k = CROP_SMOOTH
    return np.stack([medfilt(x, kernel_size=k), medfilt(y, kernel_size=k), medfilt(s, kernel_size=k)], axis=1)


def crop_face(frame: np.ndarray, cx: float, cy: float, s: float, crop_scale: float = CROP_SCALE) -> np.ndarray:
    """One 224×224 crop with syncnet_python's geometry: pad by s(1 + 2·cs) with grey 110, take rows
    cy − s .. cy + s(1 + 2cs) and columns cx ± s(1 + cs), resize (bilinear, OpenCV's default)."""
    import cv2

    bsi = int(s * (1 + 2 * crop_scale))
    padded = np.pad(frame, ((bsi, bsi), (bsi, bsi), (0, 0)), "constant", constant_values=(CROP_PAD_VALUE, CROP_PAD_VALUE))
    my, mx = cy + bsi, cx + bsi
    face = padded[int(my - s):int(my + s * (1 + 2 * crop_scale)), int(mx - s * (1 + crop_scale)):int(mx + s * (1 + crop_scale))]
    return cv2.resize(face, (FACE_SIZE, FACE_SIZE))


def resample_indices(n_frames: int, fps: float, target: float = SYNC_FPS) -> np.ndarray:
    """Source frame shown at each output frame k / target (nearest in time, as ffmpeg's ``-r 25``)."""
    n_out = int(math.floor(n_frames * target / fps + 1e-9))
    return np.minimum(np.round(np.arange(n_out) * fps / target).astype(int), n_frames - 1)


def video_sync(path: str | os.PathLike, net: SyncNet, landmarks: np.ndarray, fps: float,
               frames: Iterable[np.ndarray] | None = None, batcher: Batcher | None = None) -> SyncResult:
    """LSE-C / LSE-D of a video file: frames resampled to 25 fps and audio to 16 kHz mono for the
    user (noted in ``notes``), face crops from ``landmarks`` (T, N, 2|3) tracked at ``fps``.
    ``frames``: the video's decoded frames when the caller already decodes it (``msi compare``
    shares one decode between its columns); default: decoded here. ``batcher``: as :func:`sync_scores`."""
    from msi.io.audio import read_audio
    from msi.io.video import iter_frames

    notes = []
    idx = resample_indices(len(landmarks), fps)
    if not math.isclose(fps, SYNC_FPS, rel_tol=1e-3):
        notes.append(f"resampled from {fps:.3g} to 25 fps for SyncNet")
    try:
        track = crop_track(face_boxes(landmarks))
    except ValueError:
        from msi.errors import NoFace

        raise NoFace(f"{path}: no face to crop for SyncNet") from None
    wanted: dict[int, list[int]] = {}
    for k, j in enumerate(idx):
        wanted.setdefault(int(j), []).append(k)
    crops = np.zeros((len(idx), FACE_SIZE, FACE_SIZE, 3), np.uint8)
    for j, frame in enumerate(iter_frames(path) if frames is None else frames):
        if j in wanted:
            c = crop_face(frame, *track[j])
            for k in wanted[j]:
                crops[k] = c
        if j >= idx[-1]:
            break
    audio = read_audio(path, SYNC_SAMPLE_RATE)
    if audio.source_rate != SYNC_SAMPLE_RATE:
        notes.append(f"audio resampled from {audio.source_rate} Hz to 16 kHz for SyncNet")
    res = sync_scores(net, crops, audio.samples, SYNC_SAMPLE_RATE, channel_order="rgb", batcher=batcher)
    res.notes = notes + res.notes
    return res
