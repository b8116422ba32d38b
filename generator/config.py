"""Configuration of the StableFace models and their training, as small dataclasses.

Three presets: ``paper()`` (the sizes of Ling et al., arXiv:2208.13717, and of the networks
they build on: Neural Voice Puppetry's renderer and PatchGAN), ``tiny()`` (the same graph,
narrow and shallow, so that a full training runs on a 2-core CPU in minutes, at 64 px: the
bench's size) and ``tiny128()`` (``tiny()`` for 128 px frames: the README's recipe).
``get_config(name)`` returns one of them; ``to_dict`` / ``from_dict`` round-trip a config
through the run directory's ``config.json``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Audio2ExpressionConfig:
    """Transformer encoder over per-frame audio windows -> 53 expression parameters."""

    n_mels: int = 80
    n_exp: int = 53
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 8
    d_ff: int = 1024
    dropout: float = 0.1
    # The longest sequence its learned positional embedding covers is the training length
    # (TrainConfig.a2e_frames): synthesis predicts in windows of that length.


@dataclass
class SmoothingConfig:
    """Adaptive smoothing (paper Table I): Conv1D(k=3)-BN-ReLU x4, Conv1D(k=3)-Sigmoid -> K weights."""

    mode: str = "adaptive"  # adaptive | global | fixed | none
    channels: tuple[int, ...] = (32, 32, 16, 16)
    k: int = 5  # temporal support (odd)
    sigma: float = 1.0  # std (frames) of the Gaussian kernel all three variants start from
    # Not in the paper (0 there): std of frame-independent noise added, in the joint stage, to the
    # expressions the module sees and smooths, in units of each component's std. Tracked training
    # meshes carry almost no jitter, so without it the module only learns to smooth less everywhere.
    train_jitter: float = 0.0


@dataclass
class ErosionConfig:
    """Augmented erosion of the mouth region of the background frame (training only)."""

    enabled: bool = True
    exp_noise: float = 0.5  # std of the noise on expressions, in units of each component's std
    # Pixels the mesh mouth mask is grown by (also at synthesis): what stays visible around the mask
    # moves with the true jaw, and a renderer trained on it copies the background's mouth.
    dilate: int = 2
    # What is erased: "mesh" (the paper: each frame's mouth mask from the mesh) or "clip" (not in the
    # paper: one region per clip, the union of every frame's mask, in training and synthesis alike,
    # which hides the true mouth's outline that a per-frame mask leaves moving with the speech).
    region: str = "mesh"
    max_morph: int = 3  # random erode (-) / dilate (+) up to this many pixels
    max_shift: float = 0.05  # random shift, fraction of the image side
    max_rotation: float = 10.0  # random rotation, degrees


@dataclass
class RendererConfig:
    """Neural renderer (encoder - residual blocks - decoder), Neural Voice Puppetry style."""

    ngf: int = 64
    n_res: int = 8
    # Not in the paper: one more input channel, the mouth opening's sub-pixel coverage
    # (generator.data.raster.mouth_coverage), since a 64 px raster draws a 1-2 px gap as whole rows.
    mouth_channel: bool = False

    @property
    def in_channels(self) -> int:
        """Input channels: the eroded background's RGB and the rendered face shape (+1 with mouth_channel)."""
        return 4 + int(self.mouth_channel)


@dataclass
class FusionConfig:
    """Audio fusion: each frame's audio window -> a vector fused into the encoder features."""

    enabled: bool = True
    hidden: int = 256


@dataclass
class DependencyConfig:
    """Dependency modeling: self-attention over p x p patch tokens of all frames of a sequence."""

    enabled: bool = True
    patch: int = 8
    d_model: int = 256
    n_layers: int = 2
    n_heads: int = 8
    # The longest sequence its temporal embedding covers is the training length (TrainConfig.seq_len):
    # synthesis renders in windows of that length.


@dataclass
class DiscriminatorConfig:
    """PatchGAN (pix2pix / Neural Voice Puppetry), conditioned on the renderer's input."""

    ndf: int = 64
    n_layers: int = 3


@dataclass
class LossConfig:
    """Renderer losses: unbalanced L1, VGG19 perceptual (optional), adversarial (LSGAN)."""

    l1: float = 20.0
    mouth_weight: float = 2.0  # L1 weight inside the eroded region (1 elsewhere)
    # Extra L1 weight on the lips' box (the lip points' bounding box of the face shape, grown by
    # StableFaceConfig.lip_pad px). Not in the paper (0 there): at 64 px the lips are a few dozen of
    # 4096 pixels, and a plain L1 paints them as a blur that barely opens.
    lip_weight: float = 0.0
    # Balance the L1 over the mouth's openings (generator.models.losses.opening_weights; not in the
    # paper: 0 there): each frame weighs (its opening's share of the training frames) ** -power,
    # so that the rare wide-open mouths are fitted as closely as the common half-closed ones.
    opening_balance: float = 0.0
    opening_bins: int = 8
    perceptual: float = 1.0  # used only when VGG19 weights are given
    adversarial: float = 1.0
    vgg_weights: str | None = None  # path to a VGG19 state dict; never downloaded


@dataclass
class TrainConfig:
    seq_len: int = 12  # consecutive frames per training sequence (paper: "a dozen")
    # audio2expression's own sequence length (None: seq_len). Its Transformer attends over the
    # sequence, and 8 frames (320 ms) is shorter than a syllable's context.
    a2e_seq_len: int | None = None
    # Weight of a velocity term in audio2expression's loss: MSE of the frame-to-frame differences,
    # so that the prediction does not regress to a smooth mean (0: the plain MSE).
    a2e_velocity: float = 0.0
    # audio2expression's loss space: "pca" (MSE of each coefficient in units of its std: every
    # coefficient weighs alike) or "vertex" (each weighted by its variance: the MSE of the mesh's
    # mouth/jaw vertices, so the few coefficients that open the mouth dominate).
    a2e_loss: str = "pca"
    # After the last step, scale audio2expression's output about its mean by one gain fitted on the
    # validation split (generator.models.calibration): "none" (the paper: the MSE prediction as it
    # is) or "mesh" (not in the paper: the smoothed meshes' mouth opens as wide as the tracked ones).
    a2e_gain: str = "none"
    # Whose tracked opening sets the gain's target spread: "val" (the validation split, where the
    # prediction is made) or "train+val" (every frame outside the test split: the speaker's motion).
    a2e_gain_reference: str = "val"
    batch: int = 2  # sequences per step
    a2e_epochs: int = 50  # the paper gives no count for audio2expression
    render_epochs: int = 100  # stage 2a: renderer alone, no smoothing (paper: 100)
    joint_epochs: int = 20  # stage 2b: renderer + smoothing (paper: 20)
    lr_a2e: float = 1e-4
    lr_renderer: float = 1e-4
    # Paper: 1e-6.  Adam moves a parameter by at most ~lr per step, so 1e-6 moves the smoothing
    # weights by ~1e-3 over a small run: the small configs use a rate that lets them adapt.
    lr_smoothing: float = 1e-6
    lr_discriminator: float = 1e-4
    max_steps_per_epoch: int | None = None  # cap for long clips (None: one pass over the data)
    checkpoint_every: int = 200  # steps; a sample sheet is written with each checkpoint
    seed: int = 0
    threads: int = 2  # torch CPU threads; 0: as many as cores other processes leave free (generator.cpu)

    @property
    def a2e_frames(self) -> int:
        """Frames per audio2expression sequence, in training and synthesis."""
        return self.a2e_seq_len or self.seq_len

    @property
    def sample_every(self) -> int:
        """Steps between sample sheets: one with each checkpoint."""
        return self.checkpoint_every


@dataclass
class StableFaceConfig:
    name: str = "paper"
    a2e: Audio2ExpressionConfig = field(default_factory=Audio2ExpressionConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    erosion: ErosionConfig = field(default_factory=ErosionConfig)
    renderer: RendererConfig = field(default_factory=RendererConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    dependency: DependencyConfig = field(default_factory=DependencyConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def lip_pad(self) -> int:
        """Pixels the lips' box is grown by: 1/32 of the frame side the preset is for (2 px at 64 px;
        used only with ``loss.lip_weight``)."""
        return FRAME_SIZES.get(self.name, FRAME_SIZES["paper"]) // 32


def paper() -> StableFaceConfig:
    """The paper's sizes and schedule (256 x 256 frames: renderer bottleneck 64 x 64 x 256; 12-frame
    sequences; 100 + 20 renderer epochs; lr 1e-4 renderer, 1e-6 smoothing; loss weights 20 L1 / 1 VGG)."""
    return StableFaceConfig(name="paper")


def tiny() -> StableFaceConfig:
    """Same graph, small enough to train on a 2-core CPU in minutes (64 x 64 frames)."""
    return StableFaceConfig(
        name="tiny",
        a2e=Audio2ExpressionConfig(d_model=64, n_layers=2, n_heads=4, d_ff=128, dropout=0.0),
        # pixel sizes for 64 x 64 frames; one erased region per clip
        erosion=ErosionConfig(dilate=3, max_morph=1, region="clip"),
        # the mouth gap is 1-2 px at 64 px: its sub-pixel coverage as a 5th input
        renderer=RendererConfig(ngf=16, n_res=2, mouth_channel=True),
        fusion=FusionConfig(hidden=64),
        dependency=DependencyConfig(patch=4, d_model=64, n_layers=1, n_heads=4),
        discriminator=DiscriminatorConfig(ndf=16, n_layers=2),
        # the lips are ~1% of a 64 px frame: their box weighs more; each opening weighs alike in the L1
        loss=LossConfig(lip_weight=10.0, opening_balance=1.0),
        train=TrainConfig(seq_len=8, batch=2, a2e_epochs=60, render_epochs=60, joint_epochs=10,
                          lr_a2e=1e-3, lr_renderer=5e-4, lr_discriminator=5e-4,
                          lr_smoothing=1e-3,  # 1e-6 leaves the weights where they start (see TrainConfig)
                          # audio2expression: 1.3 s of context, the vertex-space loss, a velocity term
                          a2e_seq_len=32, a2e_loss="vertex", a2e_velocity=1.0,
                          # what the MSE still shrinks, undone by one gain towards the speaker's motion
                          a2e_gain="mesh", a2e_gain_reference="train+val",
                          checkpoint_every=100,
                          threads=0),  # follow the cores other processes leave free (generator.cpu)
    )


def tiny128() -> StableFaceConfig:
    """``tiny()`` for 128 x 128 frames: its pixel sizes doubled, 40 renderer epochs instead of 60
    (a render step costs about 4x tiny's). At 64 px the mouth opens 1-2 px; at 128 px the renderer
    draws its mesh's opening (docs/generator/models.md)."""
    cfg = tiny()
    cfg.name = "tiny128"
    # tiny()'s pixel sizes, scaled with the frame, so they cover the same part of the face
    cfg.erosion = dataclasses.replace(cfg.erosion, dilate=2 * cfg.erosion.dilate, max_morph=2 * cfg.erosion.max_morph)
    cfg.train = dataclasses.replace(cfg.train, render_epochs=40)
    return cfg


PRESETS = {"paper": paper, "tiny": tiny, "tiny128": tiny128}

#: The frame side each preset's pixel sizes (erosion, lips' box) are chosen for.
FRAME_SIZES = {"paper": 256, "tiny": 64, "tiny128": 128}


def get_config(name: str) -> StableFaceConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown config {name!r} (choose from {', '.join(PRESETS)})")
    return PRESETS[name]()


def apply_ablations(cfg: StableFaceConfig, *, no_audio_fusion: bool = False, no_smoothing: bool = False,
                    smoothing: str | None = None, no_erosion: bool = False, no_dependency: bool = False,
                    baseline: bool = False) -> StableFaceConfig:
    """Switch components off for Table V (``baseline``: all four off) and Fig. 9 (smoothing mode)."""
    cfg = dataclasses.replace(cfg)
    if smoothing is not None:
        cfg.smoothing = dataclasses.replace(cfg.smoothing, mode=smoothing)
    if no_smoothing or baseline:
        cfg.smoothing = dataclasses.replace(cfg.smoothing, mode="none")
    if no_audio_fusion or baseline:
        cfg.fusion = dataclasses.replace(cfg.fusion, enabled=False)
    if no_erosion or baseline:
        cfg.erosion = dataclasses.replace(cfg.erosion, enabled=False)
    if no_dependency or baseline:
        cfg.dependency = dataclasses.replace(cfg.dependency, enabled=False)
    return cfg


#: Values derived from the others, written to a run's config.json where they stood when they were
#: settings (so a saved config reads as it always did), and checked when it is read back:
#: section -> {key: value of the config}.
DERIVED = {
    "renderer": {"in_channels": lambda cfg: cfg.renderer.in_channels},
    "loss": {"lip_pad": lambda cfg: cfg.lip_pad},
    "train": {"sample_every": lambda cfg: cfg.train.sample_every},
}
#: The key each derived value follows in config.json (None: first).
_DERIVED_AFTER = {"in_channels": None, "lip_pad": "lip_weight", "sample_every": "checkpoint_every"}


def to_dict(cfg: StableFaceConfig) -> dict[str, Any]:
    d = dataclasses.asdict(cfg)
    for section, keys in DERIVED.items():
        items = list(d[section].items())
        for k, value in keys.items():
            after = _DERIVED_AFTER[k]
            at = 0 if after is None else [name for name, _ in items].index(after) + 1
            items.insert(at, (k, value(cfg)))
        d[section] = dict(items)
    return d


#: Options no longer in the library, each with the value at which it changed nothing (None: it only
#: sized another removed option). A saved config that holds one at that value loads as it ran;
#: docs/generator/models.md ("What was tried") names the commit to check out for the others.
REMOVED = {
    "renderer": {"skip": False, "composite": False},
    "discriminator": {"mouth_layers": None},
    "loss": {"lip_gradient": 0.0, "probe_weight": 0.0, "probe_steps": None, "feature_matching": 0.0,
             "mouth_adversarial": 0.0},
    "train": {"a2e_opening": 0.0, "a2e_split": "train", "a2e_gain_centre": "mean", "lr_decay": 0.0},
}


#: Settings that older runs stored and that now follow from the data or the training length, as
#: section -> {key: the least value that config could have run with (None: the data's, unchecked)}.
#: Dropped when read: ``a2e.window`` was always overwritten by the data's (a run's checkpoint holds
#: it as ``window``); each ``max_frames`` was the capacity of a per-frame embedding, which training and
#: synthesis filled only up to the training length, so a saved value below it could not have run.
FORMER = {
    "a2e": {"window": None, "max_frames": lambda cfg: cfg.train.a2e_frames},
    "dependency": {"max_frames": lambda cfg: cfg.train.seq_len if cfg.dependency.enabled else 0},
}


def from_dict(d: dict[str, Any]) -> StableFaceConfig:
    """Inverse of ``to_dict`` (tuples come back from JSON as lists). A removed option (``REMOVED``)
    is dropped when it is at its neutral value, refused (ValueError) when it is not; a derived
    value (``DERIVED``) must be what the other settings give; a former setting (``FORMER``) is
    dropped, refused when the config could not have run with it."""
    parts: dict[str, Any] = {}
    derived: dict[str, dict[str, Any]] = {}
    former: dict[str, dict[str, Any]] = {}
    for f in dataclasses.fields(StableFaceConfig):
        if f.name == "name":
            parts["name"] = d.get("name", "paper")
            continue
        sub_cls = type(getattr(StableFaceConfig(), f.name))
        values = dict(d.get(f.name, {}))
        for k, neutral in REMOVED.get(f.name, {}).items():
            if k in values and neutral is not None and values[k] != neutral:
                raise ValueError(f"{f.name}.{k} = {values[k]!r}: an option no longer in this version "
                                 "(docs/generator/models.md, 'What was tried', names the commit that has it)")
            values.pop(k, None)
        derived[f.name] = {k: values.pop(k) for k in DERIVED.get(f.name, {}) if k in values}
        former[f.name] = {k: values.pop(k) for k in FORMER.get(f.name, {}) if k in values}
        for k, v in values.items():
            if isinstance(v, list):
                values[k] = tuple(v)
        parts[f.name] = sub_cls(**values)
    cfg = StableFaceConfig(**parts)
    for section, saved in derived.items():
        for k, v in saved.items():
            unused = section == "loss" and k == "lip_pad" and not cfg.loss.lip_weight
            if v != DERIVED[section][k](cfg) and not unused:
                raise ValueError(f"{section}.{k} = {v!r}: now derived from the other settings, which give "
                                 f"{DERIVED[section][k](cfg)!r}; this version cannot run that config as it ran")
    for section, saved in former.items():
        for k, v in saved.items():
            least = FORMER[section][k]
            if least is not None and v < least(cfg):
                raise ValueError(f"{section}.{k} = {v!r}: shorter than the {least(cfg)} frames its sequences have; "
                                 "that config could not have run")
    return cfg
