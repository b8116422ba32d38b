"""``stableface train``: train the StableFace models on one prepared data directory.

Schedule (Ling et al., arXiv:2208.13717, Sec. 3.5), in one global step count:

1. ``a2e``    audio2expression alone: MSE between predicted and tracked expressions (each
              PCA coefficient divided by its standard deviation on the training split);
2. ``render`` renderer + PatchGAN, no smoothing, on the tracked face shapes:
              20 * unbalanced L1 (x2 on the eroded region) + VGG19 perceptual (if weights
              given; otherwise a one-line note says the loss differs from the paper's) + LSGAN;
3. ``joint``  renderer together with the smoothing module (lr 1e-6 for smoothing, 1e-4 for the
              renderer in the paper's config).

Each step draws ``batch`` random sequences of ``seq_len`` consecutive training frames (seeded by
the step number, so a resumed run draws the same sequences).  RUN_DIR holds ``config.json``,
``checkpoint.pt`` (written atomically; rerunning the same command resumes from it),
``losses.csv`` and ``samples/step_*.png`` (rows: ground truth, eroded background, face shape,
output).  CUDA is used when present.  Multi-GPU: ``torchrun --nproc_per_node=N -m generator train
DATA_DIR --out RUN_DIR ...`` runs one process per GPU; every rank draws different sequences and
gradients are averaged (all-reduce) before each optimiser step; rank 0 writes the run directory.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

from generator.errors import GeneratorError
from msi.errors import Interrupted
from generator.config import FRAME_SIZES, StableFaceConfig, from_dict, to_dict
from generator.models.erosion import augment_mask, clip_region, noisy_expressions
from generator.models.losses import gan_loss, mesh_opening, opening_weights, perceptual, unbalanced_l1
from generator.models.pipeline import Identity, StableFace, fit_sequence_embeddings

STAGES = ("a2e", "render", "joint")
A2E_GAINS = ("none", "mesh")  # TrainConfig.a2e_gain
A2E_GAIN_REFERENCES = ("val", "train+val")  # TrainConfig.a2e_gain_reference
LOG_FIELDS = ("step", "stage", "loss", "l1", "perceptual", "adv", "d", "seconds")


# ----------------------------------------------------------------------------- data


@dataclasses.dataclass
class TrainData:
    """The training arrays of one clip as tensors (frames stay uint8 until a batch is drawn)."""

    frames: torch.Tensor  # (T, S, S, 3) uint8
    audio: torch.Tensor  # (T, W, 80)
    expression: torch.Tensor  # (T, K)
    rotation: torch.Tensor  # (T, 3, 3)
    translation: torch.Tensor  # (T, 3)
    scale: torch.Tensor  # (T,)
    mouth: torch.Tensor  # (T, S, S) uint8
    ident: Identity
    train: slice
    val: slice
    size: int
    window: int
    feature_kind: str  # manifest settings.audio_features ("logmel80" or the user's file name)

    @staticmethod
    def load(data_dir: str | Path) -> "TrainData":
        from generator.data.dataset import load_clip

        try:
            clip = load_clip(data_dir)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            raise GeneratorError(f"cannot load data directory {data_dir}: {exc}") from exc
        f32 = lambda a: torch.from_numpy(np.array(a, dtype=np.float32))  # noqa: E731
        train = clip.split("train")
        exp = f32(clip.expression)
        std = exp[train].std(0)
        std = torch.where(std > 1e-6, std, torch.ones_like(std))  # unused PCA rows stay 0
        return TrainData(
            frames=torch.from_numpy(np.array(clip.frames)), audio=f32(clip.audio_features), expression=exp,
            rotation=f32(clip.rotation), translation=f32(clip.translation), scale=f32(clip.scale),
            mouth=torch.from_numpy(np.array(clip.mouth_masks)),
            ident=Identity(f32(clip.shape), f32(clip.pca["components"]), std),
            train=train, val=clip.split("val"), size=int(clip.frames.shape[1]), window=int(clip.audio_features.shape[1]),
            feature_kind=str(clip.manifest["settings"].get("audio_features", "logmel80")))

    def batch(self, idx: torch.Tensor, device: torch.device) -> dict[str, torch.Tensor]:
        """Sequences at frame indices ``idx`` (B, L) -> tensors on ``device``."""
        frames = self.frames[idx].permute(0, 1, 4, 2, 3).float().div(127.5).sub(1)
        return {"frames": frames.to(device), "audio": self.audio[idx].to(device),
                "expression": self.expression[idx].to(device), "rotation": self.rotation[idx].to(device),
                "translation": self.translation[idx].to(device), "scale": self.scale[idx].to(device),
                "mouth": self.mouth[idx][:, :, None].float().to(device)}


def draw_sequences(split: slice, seq_len: int, batch: int, seed: int, step: int, rank: int = 0) -> torch.Tensor:
    """Random start frames for ``batch`` sequences in the split, a function of (seed, step, rank)."""
    n = split.stop - split.start
    if n < seq_len:
        raise GeneratorError(f"the training split has {n} frames, fewer than seq_len={seq_len}")
    g = torch.Generator().manual_seed(seed * 1_000_003 + step * 101 + rank)
    starts = split.start + torch.randint(0, n - seq_len + 1, (batch,), generator=g)
    return starts[:, None] + torch.arange(seq_len)[None]


def schedule(cfg: StableFaceConfig, n_train: int) -> list[tuple[str, int]]:
    """(stage, steps) from the epochs in the config; one epoch = one pass over the ``n_train``
    frames of the training split."""
    t = cfg.train

    def per_epoch(n: int) -> int:
        k = max(1, math.ceil((n // t.seq_len) / t.batch))
        return min(k, t.max_steps_per_epoch) if t.max_steps_per_epoch else k

    return [("a2e", t.a2e_epochs * per_epoch(n_train)), ("render", t.render_epochs * per_epoch(n_train)),
            ("joint", t.joint_epochs * per_epoch(n_train))]


def stage_plan(cfg: StableFaceConfig, train: slice, val: slice) -> list[tuple[str, int]]:
    """:func:`schedule` for a clip's training split (``val`` is not trained on)."""
    return schedule(cfg, train.stop - train.start)


def stage_at(plan: list[tuple[str, int]], step: int) -> str | None:
    for name, n in plan:
        if step < n:
            return name
        step -= n
    return None


# ----------------------------------------------------------------------------- steps


class Trainer:
    """Models, optimisers and one training step per stage."""

    def __init__(self, cfg: StableFaceConfig, data: TrainData, device: torch.device):
        self.cfg, self.data, self.device = cfg, data, device
        try:
            self.model = StableFace(cfg, data.size).to(device)
        except ValueError as exc:  # e.g. a frame size the renderer's patches do not divide
            raise GeneratorError(f"config {cfg.name!r} does not fit {data.size}px frames: {exc}") from None
        self.ident = data.ident.to(device)
        if cfg.erosion.region not in ("mesh", "clip"):
            raise GeneratorError(f"erosion region {cfg.erosion.region!r} is unknown (choose mesh or clip)")
        # ErosionConfig.region "clip": the union of the training frames' mouth masks, grown
        self.region = (clip_region(data.mouth[data.train], cfg.erosion.dilate).to(device)
                       if cfg.erosion.region == "clip" else None)
        t = cfg.train
        m = self.model
        self.opt = {
            "a2e": torch.optim.Adam(m.a2e.parameters(), t.lr_a2e),
            "renderer": torch.optim.Adam(m.renderer.parameters(), t.lr_renderer, betas=(0.5, 0.999)),
            "discriminator": torch.optim.Adam(m.discriminator.parameters(), t.lr_discriminator, betas=(0.5, 0.999)),
        }
        if m.smoothing is not None and any(True for _ in m.smoothing.parameters()):
            self.opt["smoothing"] = torch.optim.Adam(m.smoothing.parameters(), t.lr_smoothing)
        self.vgg = None
        if cfg.loss.vgg_weights:
            from generator.models.vgg import load_vgg19

            try:
                self.vgg = load_vgg19(cfg.loss.vgg_weights).to(device)
            except (FileNotFoundError, ValueError, RuntimeError) as exc:
                raise GeneratorError(str(exc)) from exc
        self.distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        if cfg.loss.opening_balance < 0 or cfg.loss.opening_bins < 2:  # a negative power favours the common
            raise GeneratorError(f"opening_balance must be >= 0 and opening_bins >= 2, not "
                                 f"{cfg.loss.opening_balance} and {cfg.loss.opening_bins}")
        # LossConfig.opening_balance: the training frames' openings the weights are balanced over
        self.opening_reference = self.train_openings() if cfg.loss.opening_balance else None
        self.calibration: dict | None = None  # TrainConfig.a2e_gain: fitted after the last step

    @torch.no_grad()
    def train_openings(self) -> torch.Tensor:
        """(T_train,) the training frames' mouth opening, from their tracked (unsmoothed) meshes."""
        d, tr = self.data, self.data.train
        verts = self.model.meshes(d.expression[tr][None].to(self.device), self.ident,
                                  *(x[tr][None].to(self.device) for x in (d.rotation, d.translation, d.scale)),
                                  smooth=False)[0]
        return mesh_opening(verts)

    @torch.no_grad()
    def calibrate(self) -> dict | None:
        """The expression gain on the validation split (``generator.models.calibration``): the
        trained audio2expression and smoothing in eval mode, as synthesis runs them, over the
        split's own audio and pose, matched to the tracked opening of ``a2e_gain_reference``'s frames.
        None (and a note) when the split is too short."""
        from generator.models.calibration import GAIN_RANGE, apply_gain, fit_gain
        from generator.inference import predict_normalised
        from msi.metrics.mouth_motion import mouth_opening

        d, v, m = self.data, self.data.val, self.model
        mode = self.cfg.train.a2e_gain
        if v.stop - v.start < 2 * self.cfg.train.a2e_frames:  # too short to say anything: keep the prediction
            print(f"stableface: note: no expression gain (a2e_gain {mode}): the validation split has "
                  f"{v.stop - v.start} frames, fewer than {2 * self.cfg.train.a2e_frames}", file=sys.stderr)
            return None
        m.eval()
        pose = [x[v][None].to(self.device) for x in (d.rotation, d.translation, d.scale)]
        std = self.ident.exp_std
        pred = predict_normalised(m.a2e, d.audio[v].to(self.device), self.cfg.train.a2e_frames)
        centre = pred.mean(0)

        def opening_at(g: float) -> np.ndarray:  # the opening msi and the chain table measure
            e = apply_gain(pred, g, centre) * std
            return mouth_opening(m.meshes(e[None], self.ident, *pose)[0].cpu().numpy())

        def tracked_opening(part: slice) -> np.ndarray:
            posed = [x[part][None].to(self.device) for x in (d.rotation, d.translation, d.scale)]
            return mouth_opening(m.meshes(d.expression[part][None].to(self.device), self.ident, *posed,
                                          smooth=False)[0].cpu().numpy())

        # the target spread: the validation split's own, or the speaker's over every non-test frame
        # (TrainConfig.a2e_gain_reference); the opening is in mouth widths, so the splits' poses pool
        val_opening = tracked_opening(v)
        reference = self.cfg.train.a2e_gain_reference
        target = val_opening if reference == "val" else np.concatenate([tracked_opening(d.train), val_opening])
        gain = fit_gain(opening_at, target)
        if gain in GAIN_RANGE:
            print(f"stableface: note: the expression gain hit its bound {gain:g}: the validation split's predicted "
                  "mouth moves far less (or more) than the tracked one, so audio2expression may be undertrained",
                  file=sys.stderr)
        cal = {"mode": mode, "gain": gain, "mesh_gain": gain, "centre": centre.cpu(), "reference": reference,
               "opening_std": {"tracked": float(np.nanstd(target)), "tracked_val": float(np.nanstd(val_opening)),
                               "before": float(np.nanstd(opening_at(1.0))), "after": float(np.nanstd(opening_at(gain)))}}
        self.calibration = cal
        return cal

    def state(self, step: int) -> dict:
        extra = {"calibration": self.calibration} if self.calibration is not None else {}
        return {**extra, "step": step, "model": self.model.state_dict(),
                "optimizers": {k: o.state_dict() for k, o in self.opt.items()},
                "config": to_dict(self.cfg), "size": self.data.size, "window": self.data.window,
                "feature_kind": self.data.feature_kind,
                "identity": {"shape": self.ident.shape.cpu(), "components": self.ident.components.cpu(),
                             "exp_std": self.ident.exp_std.cpu()}}

    def load_state(self, state: dict) -> int:
        state = fit_sequence_embeddings(state, self.model)  # ValueError: a run this version cannot continue
        self.model.load_state_dict(state["model"])
        self.calibration = state.get("calibration")
        for k, o in self.opt.items():
            if k in state["optimizers"]:
                o.load_state_dict(state["optimizers"][k])
        return int(state["step"])

    def _step(self, loss: torch.Tensor, names: list[str]) -> None:
        for n in names:
            self.opt[n].zero_grad(set_to_none=True)
        loss.backward()
        if self.distributed:  # data parallel: average gradients over ranks
            world = torch.distributed.get_world_size()
            for n in names:
                for group in self.opt[n].param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            torch.distributed.all_reduce(p.grad)
                            p.grad /= world
        for n in names:
            self.opt[n].step()

    def step_a2e(self, b: dict) -> dict:
        self.model.a2e.train()
        pred = self.model.a2e(b["audio"])
        target = b["expression"] / self.ident.exp_std
        t = self.cfg.train
        # "vertex": coefficient k weighs var_k (orthonormal PCA rows: the vertices' MSE), scaled to mean 1
        w = self.ident.exp_std ** 2 / (self.ident.exp_std ** 2).mean() if t.a2e_loss == "vertex" else 1.0
        loss = (w * (pred - target) ** 2).mean()
        if t.a2e_velocity:  # the motion, not only the shape: frame-to-frame differences
            loss = loss + t.a2e_velocity * (w * (pred.diff(dim=1) - target.diff(dim=1)) ** 2).mean()
        self._step(loss, ["a2e"])
        return {"loss": loss.item()}

    def renderer_batch(self, b: dict, smooth: bool, train: bool, generator: torch.Generator | None = None) -> dict:
        """Face-shape renders, (augmented) erosion masks, outputs and inputs for a batch."""
        from generator.data.raster import lip_box, mouth_mask

        m, cfg, s = self.model, self.cfg, self.data.size
        pose = (b["rotation"], b["translation"], b["scale"])
        with torch.set_grad_enabled(smooth and train and m.smoothing is not None):
            expression = b["expression"]
            if smooth and train and m.smoothing is not None and cfg.smoothing.train_jitter:
                # jitter for the module to remove (SmoothingConfig.train_jitter); the frame stays the target
                noise = torch.randn(expression.shape, generator=generator).to(expression)
                expression = expression + cfg.smoothing.train_jitter * self.ident.exp_std * noise
            verts = m.meshes(expression, self.ident, *pose, smooth=smooth)
            shape_img = m.render_meshes(verts)
        bsz, L = verts.shape[:2]
        with torch.no_grad():
            if self.region is not None:  # one region for the clip: nothing of the true mouth's shape
                mask = self.region.expand(bsz * L, -1, -1, -1)
            else:
                if train and cfg.erosion.enabled:
                    noisy = noisy_expressions(b["expression"], self.ident.exp_std, cfg.erosion, generator)
                    mesh_for_mask = m.meshes(noisy, self.ident, *pose, smooth=False)
                else:
                    mesh_for_mask = verts
                mask = torch.as_tensor(mouth_mask(mesh_for_mask.flatten(0, 1), s, dilate=cfg.erosion.dilate))
                mask = mask.to(self.device).float()[:, None]
            if train and cfg.erosion.enabled:
                mask = augment_mask(mask, cfg.erosion, generator)
            lips = None
            if cfg.loss.lip_weight:
                lips = lip_box(verts.detach().flatten(0, 1), s, cfg.lip_pad).to(self.device).float()[:, None]
                lips = lips.reshape(bsz, L, 1, s, s)
        mask = mask.reshape(bsz, L, 1, s, s)
        fake, inputs = m.generate(b["frames"], shape_img, mask, b["audio"])
        out = {"fake": fake, "inputs": inputs, "shape": shape_img, "mask": mask, "lips": lips}
        if cfg.loss.opening_balance:
            # the frame's own opening (its tracked mesh, unsmoothed): the weights, like L1, aim at the real frame
            tracked = verts if not smooth else m.meshes(b["expression"], self.ident, *pose, smooth=False)
            out["opening"] = mesh_opening(tracked.detach().flatten(0, 1))
        return out

    def step_render(self, b: dict, joint: bool, generator: torch.Generator) -> tuple[dict, dict]:
        m, lc = self.model, self.cfg.loss
        m.renderer.train()
        if m.smoothing is not None:
            m.smoothing.train(joint)
        out = self.renderer_batch(b, smooth=joint, train=True, generator=generator)
        real = b["frames"].flatten(0, 1)
        fake, inputs = out["fake"].flatten(0, 1), out["inputs"].flatten(0, 1)
        # discriminator
        d_loss = 0.5 * (gan_loss(m.discriminator(inputs.detach(), real), True)
                        + gan_loss(m.discriminator(inputs.detach(), fake.detach()), False))
        self._step(d_loss, ["discriminator"])
        # generator (and smoothing in the joint stage)
        # x2 on the eroded region (the mask the renderer had to fill in), as in the paper
        lips = out["lips"].flatten(0, 1) if out["lips"] is not None else None
        frame_weight = (opening_weights(out["opening"], self.opening_reference, lc.opening_balance, lc.opening_bins)
                        if lc.opening_balance else None)
        l1 = unbalanced_l1(fake, real, out["mask"].flatten(0, 1), lc.mouth_weight, lips, lc.lip_weight, frame_weight)
        adv = gan_loss(m.discriminator(inputs, fake), True)
        perc = perceptual(self.vgg, fake, real) if self.vgg is not None else torch.zeros((), device=fake.device)
        loss = lc.l1 * l1 + lc.adversarial * adv + lc.perceptual * perc
        names = ["renderer"] + (["smoothing"] if joint and "smoothing" in self.opt else [])
        self._step(loss, names)
        return ({"loss": loss.item(), "l1": l1.item(), "adv": adv.item(), "perceptual": perc.item(),
                 "d": d_loss.item()}, out)


# ----------------------------------------------------------------------------- run directory


def save_atomic(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    from generator.checkpoint import save_checkpoint  # tensors and plain values only

    save_checkpoint(obj, tmp)
    os.replace(tmp, path)


def save_grid(b: dict, out: dict, path: Path) -> None:
    """Rows: ground truth, eroded background, face shape, output (first sequence of the batch)."""
    from PIL import Image

    to_img = lambda x: ((x.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().byte()  # noqa: E731
    rows = [b["frames"][0], out["inputs"][0, :, :3], out["shape"][0, :, :1].expand(-1, 3, -1, -1), out["fake"][0]]
    grid = torch.cat([torch.cat(list(to_img(r)), dim=2) for r in rows], dim=1)  # (3, 4S, L*S)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid.permute(1, 2, 0).numpy()).save(path)


def trim_log(path: Path, step: int) -> None:
    """Drop log rows after the checkpoint's step (they are recomputed on resume)."""
    if not path.is_file():
        return
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, LOG_FIELDS, extrasaction="ignore")  # columns an older version logged go
        w.writeheader()
        w.writerows(rows)


_warned: set[str] = set()


def warn_no_perceptual() -> None:
    """Say once per process that training runs without the paper's VGG19 perceptual loss."""
    if "perceptual" not in _warned:
        _warned.add("perceptual")
        print("stableface: no VGG19 weights given: training without the perceptual loss, so the loss "
              "differs from the paper's (20 x unbalanced L1 + VGG19 perceptual + GAN)", file=sys.stderr)


def train(data_dir: str | Path, out_dir: str | Path, cfg: StableFaceConfig, *, max_steps: int | None = None,
          device: str | None = None, progress: bool = True) -> dict:
    """Train (or resume) into ``out_dir``; stop after ``max_steps`` global steps if given.

    Returns {"step", "total_steps", "plan", "seconds"}.
    """
    out = Path(out_dir)
    rank = int(os.environ.get("RANK", 0))
    if int(os.environ.get("WORLD_SIZE", 1)) > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    if device is None:
        local = int(os.environ.get("LOCAL_RANK", 0))
        device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    watch = None
    if dev.type == "cpu":
        if cfg.train.threads < 0:
            raise GeneratorError(f"threads must be 0 (follow the free cores) or more, not {cfg.train.threads}")
        if cfg.train.threads == 0:  # "auto": as many threads as cores nobody else is using (generator.cpu)
            from generator.cpu import CoreWatch

            watch = CoreWatch()
        torch.set_num_threads(cfg.train.threads or 1)
    ckpt_path = out / "checkpoint.pt"
    state = None
    if ckpt_path.is_file():
        from generator.checkpoint import load_checkpoint  # weights-only: loading runs no code

        state = load_checkpoint(ckpt_path)
        try:
            saved = from_dict(state["config"])
        except ValueError as exc:
            raise GeneratorError(f"{out}: {exc}") from None
        saved.train = dataclasses.replace(saved.train, threads=cfg.train.threads)  # how to run, not what
        if to_dict(saved) != to_dict(cfg):
            print(f"stableface: resuming {out} with its saved configuration", file=sys.stderr)
        cfg = saved
    torch.manual_seed(cfg.train.seed)
    data = TrainData.load(data_dir)
    cfg.a2e.n_mels = int(data.audio.shape[2])
    trainer = Trainer(cfg, data, dev)
    if rank == 0 and trainer.vgg is None and cfg.loss.perceptual > 0:
        warn_no_perceptual()
    if rank == 0 and FRAME_SIZES.get(cfg.name, data.size) != data.size:
        print(f"stableface: warning: config {cfg.name!r} is sized for {FRAME_SIZES[cfg.name]} px frames and "
              f"{data_dir} has {data.size} px: its erosion and lips' box are in pixels", file=sys.stderr)
    try:
        step = trainer.load_state(state) if state is not None else 0
    except ValueError as exc:
        raise GeneratorError(f"{out}: {exc}") from None
    if cfg.train.a2e_gain not in A2E_GAINS:  # checked now, not after the last step
        raise GeneratorError(f"a2e_gain {cfg.train.a2e_gain!r} is unknown (choose {', '.join(A2E_GAINS)})")
    if cfg.train.a2e_gain_reference not in A2E_GAIN_REFERENCES:
        raise GeneratorError(f"a2e_gain_reference {cfg.train.a2e_gain_reference!r} is unknown "
                             f"(choose {', '.join(A2E_GAIN_REFERENCES)})")
    plan = stage_plan(cfg, data.train, data.val)
    total = sum(n for _, n in plan)
    stop = total if max_steps is None else min(total, max_steps)
    writer = rank == 0
    if writer:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps({"config": to_dict(cfg), "data_dir": str(data_dir),
                                                     "plan": plan}, indent=2))
        trim_log(out / "losses.csv", step)
    log_new = not (out / "losses.csv").is_file()
    t0 = time.time()
    from generator.progress import progress as progress_bar

    # a bar on a terminal; in a log, one line every LOG_EVERY steps (not thousands of redraws)
    bar = progress_bar(total, "train", enabled=progress and writer, initial=step)
    log_f = open(out / "losses.csv", "a", newline="", buffering=1) if writer else None  # line-buffered: tail -f
    log = csv.DictWriter(log_f, LOG_FIELDS) if log_f else None
    if log and log_new:
        log.writeheader()

    def on_term(signum, frame):  # cluster pre-emption / kill: checkpoint like Ctrl-C
        raise KeyboardInterrupt

    # A caller that already turns SIGTERM into KeyboardInterrupt (the command line, which also
    # tells SIGTERM from Ctrl-C for its exit code) keeps its handler.
    main_thread = threading.current_thread() is threading.main_thread()
    own_handler = main_thread and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)
    previous = signal.signal(signal.SIGTERM, on_term) if own_handler else None
    try:
        while step < stop:
            stage = stage_at(plan, step)
            seq_len = cfg.train.a2e_frames if stage == "a2e" else cfg.train.seq_len
            idx = draw_sequences(data.train, seq_len, cfg.train.batch, cfg.train.seed, step, rank)
            b = data.batch(idx, dev)
            gen = torch.Generator().manual_seed(cfg.train.seed + 7919 * step + rank)
            torch.manual_seed(cfg.train.seed + step)
            if watch is not None and watch.threads() != torch.get_num_threads():
                torch.set_num_threads(watch.current)
            ts = time.time()
            if stage == "a2e":
                losses, out_b = trainer.step_a2e(b), None
            else:
                losses, out_b = trainer.step_render(b, joint=stage == "joint", generator=gen)
            step += 1
            if log:
                log.writerow({"step": step, "stage": stage, "seconds": round(time.time() - ts, 4),
                              **{k: round(losses.get(k, float("nan")), 6) for k in LOG_FIELDS[2:-1]}})
            bar.update(1)
            bar.set_postfix(stage=stage, loss=f"{losses['loss']:.4f}", threads=torch.get_num_threads())
            if writer and out_b is not None and (step % cfg.train.sample_every == 0 or step == total):
                save_grid(b, out_b, out / "samples" / f"step_{step:06d}.png")
            if writer and (step % cfg.train.checkpoint_every == 0 or step == stop):
                log_f.flush()
                save_atomic(trainer.state(step), ckpt_path)
        if step == total and cfg.train.a2e_gain != "none" and trainer.calibration is None:
            cal = trainer.calibrate()
            if writer and cal is not None:
                save_atomic(trainer.state(step), ckpt_path)
                o = cal["opening_std"]
                print(f"stableface: expression gain {cal['gain']:.3f} ({cal['mode']}, predicted on the validation split; "
                      f"smoothed mesh opening std {o['before']:.4f} at gain 1, tracked {o['tracked']:.4f} over "
                      f"{cal['reference']})", file=sys.stderr)
    except KeyboardInterrupt:
        if not writer:
            raise
        save_atomic(trainer.state(step), ckpt_path)
        raise Interrupted(f"training stopped at step {step} of {total}, saved in {ckpt_path}") from None
    finally:
        if own_handler:
            signal.signal(signal.SIGTERM, previous)
        bar.close()
        if log_f:
            log_f.close()
    return {"step": step, "total_steps": total, "plan": plan, "seconds": time.time() - t0}


def fork(src_dir: str | Path, dst_dir: str | Path, cfg: StableFaceConfig, parts: tuple[str, ...]) -> int:
    """Start run ``dst_dir`` (config ``cfg``) from the checkpoint of ``src_dir``: the modules named in
    ``parts`` (``a2e``, ``renderer``, ``discriminator``) and their optimisers come from it, everything
    else is ``cfg``'s own initialisation; the step count continues. ``train(data, dst_dir, cfg)`` then
    resumes from there and draws the same sequences as an uninterrupted run would (they are seeded by
    the step). The bench uses it so that the ablations of one seed share the stages they have in
    common (audio2expression for all; the renderer stage for variants that differ only in smoothing).
    Returns the step."""
    from generator.checkpoint import load_checkpoint

    src, dst = Path(src_dir), Path(dst_dir)
    state = load_checkpoint(src / "checkpoint.pt")
    saved = from_dict(state["config"])
    cfg = dataclasses.replace(cfg)
    cfg.a2e = dataclasses.replace(cfg.a2e, n_mels=saved.a2e.n_mels)  # the data's
    torch.manual_seed(cfg.train.seed)  # as train() initialises a fresh run
    model = StableFace(cfg, int(state["size"]))
    own = model.state_dict()
    try:
        state = fit_sequence_embeddings(state, model)
    except ValueError as exc:
        raise GeneratorError(f"{src}: {exc}") from None
    for key, value in state["model"].items():
        if key.split(".", 1)[0] in parts:
            if key not in own or own[key].shape != value.shape:
                raise GeneratorError(f"{src}: its {key} does not fit the forked configuration")
            own[key] = value
    model.load_state_dict(own)
    state.pop("calibration", None)  # fitted to the source's models: the forked run fits its own
    forked = {**state, "model": model.state_dict(), "config": to_dict(cfg),
              "optimizers": {k: v for k, v in state["optimizers"].items() if k in parts}}
    dst.mkdir(parents=True, exist_ok=True)
    if (src / "losses.csv").is_file():
        shutil.copyfile(src / "losses.csv", dst / "losses.csv")
    save_atomic(forked, dst / "checkpoint.pt")
    return int(state["step"])
