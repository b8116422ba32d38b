"""``stableface synthesize``: a talking-face video from speech with a trained run.

    speech -> log-mel windows -> audio2expression -> expressions (PCA units)
           -> meshes with the background frames' identity shape and pose -> smoothing
           -> face-shape renders + backgrounds with the mouth erased -> renderer -> frames
           -> visible "AI-generated" label -> invisible watermark -> mp4 (H.264 + AAC of the speech
              with the audio mark, muxed with PyAV) -> signed C2PA manifest (generator.marking; each
              part can be switched off)

The output has round(duration * fps) frames; the background frames are played forwards and
backwards (ping-pong) when the speech is longer than the background.  ``reenact="test"``
regenerates a split of a prepared clip from its own audio (for metrics against the ground truth,
which ``truth_out`` writes as a second mp4).  Reference: Ling et al., "StableFace",
arXiv:2208.13717, Fig. 2.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from generator.errors import GeneratorError
from generator.inference import Run, blend_windows, load_run, predict_expressions, window_starts
from generator.models.pipeline import Identity


def pingpong(n: int, length: int) -> np.ndarray:
    """Indices 0, 1, ..., length-1, length-2, ..., 1, 0, 1, ... of length n."""
    if length == 1:
        return np.zeros(n, np.int64)
    period = np.concatenate([np.arange(length), np.arange(length - 2, 0, -1)])
    return period[np.arange(n) % len(period)]


@torch.no_grad()
def render_frames(run: Run, expression: torch.Tensor, background: np.ndarray, shape: np.ndarray,
                  rotation: np.ndarray, translation: np.ndarray, scale: np.ndarray, audio: np.ndarray,
                  progress: bool = False, background_masks: np.ndarray | None = None) -> np.ndarray:
    """Expressions (T, K) + background frames (T, S, S, 3) uint8 and their pose -> frames (T, S, S, 3) uint8.
    ``background_masks`` (T, S, S): the background's own mouth masks (its prepared ``mouth_masks``),
    part of the erased region when the run erases one region per clip (``ErosionConfig.region``)."""
    from generator.data.raster import mouth_mask
    from generator.models.erosion import clip_region
    from generator.progress import progress as progress_bar

    m, cfg = run.model, run.cfg
    dev = expression.device
    s = m.size
    f32 = lambda a: torch.from_numpy(np.array(a, np.float32)).to(dev)  # noqa: E731
    ident = Identity(f32(shape), run.ident.components, run.ident.exp_std)
    verts = m.meshes(expression[None], ident, f32(rotation)[None], f32(translation)[None], f32(scale)[None])[0]
    L = cfg.train.seq_len  # the renderer attends over sequences of the training length
    overlap = m.renderer.dependency is not None
    work = sum(min(i + L, len(verts)) - i for i in window_starts(len(verts), L, overlap))
    region = None
    if cfg.erosion.region == "clip":  # as in training: one region, every frame's mask in it
        masks = [torch.as_tensor(mouth_mask(verts[i:i + 256], s)) for i in range(0, len(verts), 256)]
        if background_masks is not None:
            masks.append(torch.from_numpy(np.array(background_masks)))
        region = clip_region(torch.cat(masks), cfg.erosion.dilate).to(dev)
    bar = progress_bar(work, "render", enabled=progress, unit="frame", every=500)  # bar on a tty only

    def window(i: int, j: int) -> np.ndarray:
        v = verts[i:j]
        shape_img = m.render_meshes(v[None])
        if region is not None:
            mask = region[None].expand(1, j - i, 1, s, s)
        else:
            mask = torch.as_tensor(mouth_mask(v, s, dilate=cfg.erosion.dilate)).to(dev).float()[None, :, None]
        bg = f32(background[i:j]).permute(0, 3, 1, 2)[None] / 127.5 - 1
        fake, _ = m.generate(bg, shape_img, mask, f32(audio[i:j])[None])
        bar.update(j - i)
        return ((fake[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()

    if overlap:  # attention spans a window: overlap so borders do not cut it
        out = np.stack(blend_windows(len(verts), L, window))
    else:  # frames are independent: back to back
        out = np.concatenate([window(i, min(i + L, len(verts))) for i in range(0, len(verts), L)])
    bar.close()
    return out


#: Side of the written video when the run's frames are smaller: at 64 px H.264 (crf 18) blurs a
#: mouth a few pixels tall, which the tracker then reads as less open. The paper, too, rescales
#: every method's faces to 256 x 256 before measuring.
OUT_SIDE = 256
#: H.264 quality of the written video (and of every video the generator's evaluation writes).
ENCODE_CRF = 18


def output_side(size: int, out_size: int | None) -> int:
    """The written video's side: ``out_size`` (0: the run's own), by default at least OUT_SIDE."""
    if out_size is None:
        return max(size, OUT_SIDE)
    if out_size < 0 or out_size % 2:
        raise GeneratorError(f"out_size={out_size} is not an even number of pixels (0: the run's own size)")
    return out_size or size


#: OpenCV's interpolations by name; the written video uses "cubic".
INTERPOLATIONS = {"cubic": "INTER_CUBIC", "lanczos": "INTER_LANCZOS4", "linear": "INTER_LINEAR",
                  "nearest": "INTER_NEAREST"}


def upscale(frames, side: int, interpolation: str = "cubic"):
    """Frames (T, S, S, 3) uint8 resized to ``side`` (bicubic by default), one at a time (a generator)."""
    import cv2

    flag = getattr(cv2, INTERPOLATIONS[interpolation])
    for f in frames:
        f = np.asarray(f)
        yield f if f.shape[0] == side else cv2.resize(f, (side, side), interpolation=flag)


def load_background(path: str | Path, size: int, work: Path, progress: bool):
    """A prepared data directory, or a video prepared on the fly into ``work``."""
    from generator.data.dataset import is_prepared, load_clip

    p = Path(path)
    if p.is_dir():
        return load_clip(p)
    if not p.is_file():
        raise GeneratorError(f"{p}: no such background video or data directory")
    from generator.data import prepare

    data = work / "background"
    if not is_prepared(data):
        prepare.prepare(prepare.PrepareConfig(video=p, out=data, size=size), progress=progress)
    return load_clip(data)


def synthesize(run_dir: str | Path, out: str | Path, *, background: str | Path, audio_path: str | Path | None = None,
               reenact: str | None = None, audio_features: str | Path | None = None, truth_out: str | Path | None = None,
               device: str | None = None, progress: bool = True, out_size: int | None = None,
               visible_label: bool = True, watermark: bool = True, audio_mark: bool = True,
               credentials: bool = True, sign_cert: str | Path | None = None,
               sign_key: str | Path | None = None) -> dict:
    """Write ``out`` (mp4) and return a summary dict (frames, fps, seconds of audio, ...). The video is
    ``out_size`` pixels square (default: the run's size, at least ``OUT_SIDE``; 0: the run's size).

    The generated video says that it is generated (:mod:`generator.marking`): a visible
    "AI-generated" label in a corner the face does not cover (``visible_label``), an invisible
    watermark carrying the run's id in the frames (``watermark``) and in the speech (``audio_mark``),
    and a C2PA manifest signed with ``sign_cert``
    and ``sign_key`` or the local certificate (``credentials``). ``truth_out`` (real frames) gets none."""
    from generator.data import audio as A
    from msi.io.video import write_video

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    the_signer = None
    if credentials:  # before rendering: a bad certificate fails in a second, not after the render
        from generator.marking.credentials import signer

        the_signer = signer(sign_cert, sign_key)
    elif sign_cert or sign_key:
        raise GeneratorError("sign_cert=PEM and sign_key=PEM sign the C2PA manifest, which credentials=False switches off")
    run = load_run(run_dir, dev)
    with tempfile.TemporaryDirectory() as tmp:
        clip = load_background(background, run.model.size, Path(tmp), progress)
        if clip.size != run.model.size:
            raise GeneratorError(f"background frames are {clip.size}px but the run was trained at {run.model.size}px")
        fps, sr = clip.fps, int(clip.manifest["settings"].get("sample_rate", 16000))
        window = run.window
        if reenact:
            part = clip.split(reenact)
            n = part.stop - part.start
            if n <= 0:
                raise GeneratorError(f"split {reenact!r} of {clip.path} is empty")
            feats = np.asarray(clip.audio_features[part])
            wave = A.load_audio(clip.audio_path, sr)[int(round(part.start / fps * sr)):int(round(part.stop / fps * sr))]
            order = np.arange(part.start, part.stop)
        else:
            if audio_path is None:
                raise GeneratorError("give the speech audio, or a split of the background to reenact")
            wave = A.load_audio(audio_path, sr)
            n = int(round(len(wave) / sr * fps))
            if n < 1:
                raise GeneratorError(f"{audio_path}: audio shorter than one video frame")
            if audio_features:
                feats = A.load_feature_file(audio_features, n, fps=fps, window=window)
            elif run.feature_kind not in ("logmel80", ""):
                raise GeneratorError(f"the run was trained on audio features from {run.feature_kind}; "
                                     "give the same kind with audio_features=FILE.npy")
            else:
                feats = A.frame_windows(A.logmel(wave, sr), n, fps=fps, window=window)
            order = pingpong(n, clip.n_frames)
        if feats.shape[1:] != (window, run.cfg.a2e.n_mels):
            raise GeneratorError(f"audio features are {feats.shape[1:]} per frame, the run expects "
                                 f"{(window, run.cfg.a2e.n_mels)}")
        exp = predict_expressions(run, feats)
        frames = render_frames(run, exp, np.asarray(clip.frames[order]), clip.shape, clip.rotation[order],
                               clip.translation[order], clip.scale[order], feats, progress=progress,
                               background_masks=clip.mouth_masks[np.unique(order)])
        side = output_side(run.model.size, out_size)
        marked, marking = mark_frames(upscale(frames, side), side, run_dir, landmarks=clip.landmarks[order],
                                      source_side=clip.size, visible_label=visible_label, watermark=watermark,
                                      audio_mark=audio_mark)
        speech = wave
        if audio_mark:
            from generator.marking.audio_mark import embed as mark_speech

            speech = mark_speech(wave, marking["run_id"], sr)
        # H.264 (yuv420p, crf 18) with an AAC track of the speech; generated and truth alike
        write_video(out, marked, fps=fps, crf=ENCODE_CRF, audio=speech, sample_rate=sr)
        if credentials:  # the manifest covers the finished file: signed into a copy, which replaces it
            import shutil

            from generator.marking.credentials import manifest_definition, sign_video

            definition = manifest_definition(Path(out).name, checkpoint_sha256=marking["checkpoint_sha256"],
                                             run_step=run.step, run_id=marking["run_id"],
                                             visible_label=visible_label, watermark=watermark,
                                             audio_mark=audio_mark)
            signed = Path(tmp) / f"signed{Path(out).suffix or '.mp4'}"
            sign_video(out, signed, definition, the_signer)
            shutil.copyfile(signed, out)
            marking["c2pa"] = "signed with " + ("your certificate" if sign_cert else
                                                "the local certificate (verifiers report it as untrusted)")
        else:
            marking["c2pa"] = None
        if truth_out:
            write_video(truth_out, upscale(clip.frames[order], side), fps=fps, crf=ENCODE_CRF, audio=wave, sample_rate=sr)
    return {"out": str(out), "frames": int(n), "fps": fps, "audio_seconds": round(len(wave) / sr, 3),
            "size": side, "run_step": run.step, "truth": str(truth_out) if truth_out else None, "marking": marking}


def mark_frames(frames, side: int, run_dir: str | Path, *, landmarks: np.ndarray | None, source_side: int,
                visible_label: bool, watermark: bool, audio_mark: bool = False):
    """(frames with the label and the mark, one at a time; what was done, for the summary).
    ``landmarks`` (T, 478, 3) of the background frames, in pixels of ``source_side`` frames, keep
    the label off the face."""
    from generator.marking import label as L
    from generator.marking.watermark import embed
    from msi.provenance.watermark import checkpoint_sha256, run_id_of

    digest = checkpoint_sha256(Path(run_dir) / "checkpoint.pt")
    info: dict = {"checkpoint_sha256": digest, "run_id": run_id_of(digest) if watermark or audio_mark else None,
                  "visible_label": None, "watermark": watermark, "audio_mark": audio_mark}
    if visible_label:
        face = L.face_mask(landmarks, side, source_side) if landmarks is not None else None
        p = L.place(side, side, face)
        info["visible_label"] = {"corner": p.corner, "text_px": p.text_px, "face_overlap": round(p.face_overlap, 3)}
        frames = L.labelled(frames, p)
    if watermark:
        frames = embed(frames, info["run_id"])
    return frames, info
