"""Synchformer, the audio-visual offset classifier of the DeSync column (Iashin et al.,
"Synchformer: Efficient synchronization from sparse cues", ICASSP 2024; av-benchmark's
``av_bench/synchformer``, as FastVideo's eval vendors it), in torch.

Layers and parameter names are the reference's, so the ``24-01-04T16-39-21`` checkpoint as MMAudio
ships it (``synchformer_state_dict.pth``: the state dict itself) loads unchanged. Three parts:

* video (MotionFormer, divided space-time ViT-B/16): a segment of 16 RGB frames at 224 px becomes
  8 x 196 tubelet tokens (2 x 16 x 16) plus a CLS token, with a spatial position table tiled over
  the 8 time steps plus a temporal one; each block attends across time (same patch), then across
  space (same frame), then an MLP, the CLS token attending to everything both times; a final norm,
  then one transformer encoder layer with its own CLS token pools each frame's 196 patches:
  (segments, 8, 768);
* audio (AST): a segment's log-mel spectrogram (128 bins x 66 frames) in 16 x 16 patches with
  stride 10 (12 x 6 tokens) plus CLS and distillation tokens, 12 pre-norm encoder layers, and one
  encoder layer pooling each time step's 12 frequency tokens: (segments, 6, 768);
* both projected, joined as [OFF, video tokens, MOD, audio tokens] (198 tokens for 14 segments),
  plus a learned position table, through 3 GPT blocks; the OFF token's output gives the logits of
  21 offsets on the grid -2 .. +2 s.

The trunks' depths and the video trunk's MLP width are read from the checkpoint (12, 12 and
3072 in the official one), as the reference reads them from its configs (MotionFormer's ``DEPTH``
and ``MLP_RATIO``, AST's ``num_hidden_layers``).
"""
from __future__ import annotations

import math
import os

import torch
from torch import nn
from torch.nn import functional as F

from msi.networks.formats import EXPECTED as _FILES

#: What the weights file is (for messages).
EXPECTED = _FILES["synchformer"]
DIM = 768
HEADS = 12
PATCH = 16
TUBELET = 2  # frames per video token
FRAMES = 16  # frames per video segment
GRID = 14  # patches per side at 224 px
MELS, MEL_FRAMES, AUDIO_STRIDE = 128, 66, 10
AUDIO_LAYERS = 12
SYNC_LAYERS, SYNC_HEADS = 3, 8
OFFSETS = 21
#: Tokens of the sync transformer's position table: OFF + 14 x 8 video + MOD + 14 x 6 audio.
SYNC_TOKENS = 198


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Softmax attention, the scores times ``scale``: (..., n, d) x (..., m, d) -> (..., n, d)."""
    return ((q @ k.transpose(-1, -2)) * scale).softmax(-1) @ v


class _ClsPool(nn.TransformerEncoderLayer):
    """A pre-norm encoder layer (GELU, eps 1e-6) run on [CLS, tokens]; returns the CLS output."""

    def __init__(self, ff: int = 4 * DIM) -> None:
        super().__init__(DIM, HEADS, dim_feedforward=ff, dropout=0.0, activation=nn.GELU(), layer_norm_eps=1e-6,
                         batch_first=True, norm_first=True)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (n, tokens, D) -> (n, D)
        """The layer's output at the CLS token alone: every token is a key and a value, but only the
        CLS token is a query and goes through the output projection and the feed-forward (the
        reference runs them on every token and keeps the CLS row; the same arithmetic on the row
        kept, up to float32 summation order)."""
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], 1)
        h = self.norm1(x)
        attn = self.self_attn
        w, b = attn.in_proj_weight, attn.in_proj_bias
        q = F.linear(h[:, :1], w[:DIM], b[:DIM])
        k, v = F.linear(h, w[DIM:], b[DIM:]).chunk(2, -1)
        n = len(k)
        q, k, v = (u.reshape(n, -1, HEADS, DIM // HEADS).transpose(1, 2) for u in (q, k, v))
        y = _attend(q, k, v, (DIM // HEADS) ** -0.5).transpose(1, 2).reshape(n, DIM)
        y = x[:, 0] + attn.out_proj(y)
        return y + self.linear2(self.activation(self.linear1(self.norm2(y))))


class _SplitAttention(nn.Module):
    """MotionFormer's divided attention: the CLS query sees all tokens; each patch query sees the
    CLS token and the patches of its group (the same frame, or the same place over time)."""

    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(DIM, DIM)

    def forward(self, x: torch.Tensor, over_time: bool, frames: int) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = (t.reshape(b, n, HEADS, -1).transpose(1, 2) for t in self.qkv(x).chunk(3, -1))  # (b, h, n, d)
        q = q * (DIM // HEADS) ** -0.5
        cls_out = _attend(q[:, :, :1], k, v)

        def group(t: torch.Tensor) -> torch.Tensor:  # (b, h, f*p, d) -> (b, h, groups, members, d)
            t = t.reshape(b, HEADS, frames, -1, t.shape[-1])
            return t.transpose(2, 3) if over_time else t

        qg, kg, vg = group(q[:, :, 1:]), group(k[:, :, 1:]), group(v[:, :, 1:])
        g = qg.shape[2]
        kg = torch.cat([k[:, :, None, :1].expand(-1, -1, g, -1, -1), kg], 3)
        vg = torch.cat([v[:, :, None, :1].expand(-1, -1, g, -1, -1), vg], 3)
        out = _attend(qg, kg, vg)
        out = (out.transpose(2, 3) if over_time else out).reshape(b, HEADS, -1, out.shape[-1])
        out = torch.cat([cls_out, out], 2).transpose(1, 2).reshape(b, n, DIM)
        return self.proj(out)


class _Mlp(nn.Module):
    def __init__(self, width: int = 4 * DIM) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(DIM, width), nn.Linear(width, DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _SpaceTimeBlock(nn.Module):
    def __init__(self, mlp: int = 4 * DIM) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(DIM, eps=1e-6) for _ in range(3))
        self.attn, self.timeattn = _SplitAttention(), _SplitAttention()
        self.mlp = _Mlp(mlp)

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        x = x + self.timeattn(self.norm3(x), True, frames)
        x = x + self.attn(self.norm1(x), False, frames)
        return x + self.mlp(self.norm2(x))


class _Conv(nn.Module):
    """A holder named as the reference's (``patch_embed.proj``)."""

    def __init__(self, conv: nn.Module) -> None:
        super().__init__()
        self.proj = conv


class MotionFormer(nn.Module):
    def __init__(self, depth: int = 12, mlp: int = 4 * DIM) -> None:
        """``mlp``: the hidden width of the blocks' MLPs and of the pooling layer's (the reference's
        ``MLP_RATIO`` x 768 for both)."""
        super().__init__()
        self.patch_embed = _Conv(nn.Conv2d(3, DIM, PATCH, PATCH))  # in the checkpoint, unused
        self.patch_embed_3d = _Conv(nn.Conv3d(3, DIM, (TUBELET, PATCH, PATCH), (TUBELET, PATCH, PATCH)))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, GRID * GRID + 1, DIM))
        self.temp_embed = nn.Parameter(torch.zeros(1, FRAMES // TUBELET, DIM))
        self.blocks = nn.ModuleList(_SpaceTimeBlock(mlp) for _ in range(depth))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        self.spatial_attn_agg = _ClsPool(mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, 3, 16, 224, 224) in [-1, 1] -> (n, 8, 768)."""
        x = self.patch_embed_3d.proj(x).flatten(2).transpose(1, 2)  # (n, t*h*w, D), time-major
        t = FRAMES // TUBELET
        pos = self.pos_embed[:, 1:].repeat(1, t, 1) + self.temp_embed.repeat_interleave(GRID * GRID, 1)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1) + self.pos_embed[:, :1], x + pos], 1)
        for blk in self.blocks:
            x = blk(x, t)
        x = self.norm(x[:, 1:])
        return self.spatial_attn_agg(x.reshape(-1, GRID * GRID, DIM)).reshape(len(x), t, DIM)


def _holder(**children: nn.Module) -> nn.Module:
    """An empty module with ``children`` (so parameter names follow the reference's nesting)."""
    m = nn.Module()
    for k, v in children.items():
        m.add_module(k, v)
    return m


class _AstLayer(nn.Module):
    """Hugging Face's AST layer: pre-norm attention (eps 1e-12) and GELU MLP, its names."""

    def __init__(self) -> None:
        super().__init__()
        qkv = _holder(query=nn.Linear(DIM, DIM), key=nn.Linear(DIM, DIM), value=nn.Linear(DIM, DIM))
        self.attention = _holder(attention=qkv, output=_holder(dense=nn.Linear(DIM, DIM)))
        self.intermediate = _holder(dense=nn.Linear(DIM, 4 * DIM))
        self.output = _holder(dense=nn.Linear(4 * DIM, DIM))
        self.layernorm_before = nn.LayerNorm(DIM, eps=1e-12)
        self.layernorm_after = nn.LayerNorm(DIM, eps=1e-12)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attention.attention
        b, n, _ = x.shape
        h = self.layernorm_before(x)
        q, k, v = (lin(h).reshape(b, n, HEADS, -1).transpose(1, 2) for lin in (a.query, a.key, a.value))
        y = _attend(q, k, v, (DIM // HEADS) ** -0.5).transpose(1, 2).reshape(b, n, DIM)
        x = x + self.attention.output.dense(y)
        return x + self.output.dense(F.gelu(self.intermediate.dense(self.layernorm_after(x))))


class AST(nn.Module):
    def __init__(self, depth: int = AUDIO_LAYERS) -> None:
        super().__init__()
        f, t = (MELS - PATCH) // AUDIO_STRIDE + 1, (MEL_FRAMES - PATCH) // AUDIO_STRIDE + 1
        self.bins = (f, t)
        emb = _holder(patch_embeddings=_holder(projection=nn.Conv2d(1, DIM, PATCH, AUDIO_STRIDE)))
        emb.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        emb.distillation_token = nn.Parameter(torch.zeros(1, 1, DIM))
        emb.position_embeddings = nn.Parameter(torch.zeros(1, f * t + 2, DIM))
        self.ast = _holder(embeddings=emb, encoder=_holder(layer=nn.ModuleList(_AstLayer() for _ in range(depth))),
                           layernorm=nn.LayerNorm(DIM, eps=1e-12))
        self.freq_attn_agg = _ClsPool()

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(n, 128 bins, 66 frames) -> (n, 6, 768)."""
        e = self.ast.embeddings
        x = e.patch_embeddings.projection(mel[:, None]).flatten(2).transpose(1, 2)  # (n, f*t, D), f-major
        n = len(x)
        x = torch.cat([e.cls_token.expand(n, -1, -1), e.distillation_token.expand(n, -1, -1), x], 1)
        x = x + e.position_embeddings
        for layer in self.ast.encoder.layer:
            x = layer(x)
        x = self.ast.layernorm(x)[:, 2:]
        f, t = self.bins
        x = x.reshape(n, f, t, DIM).transpose(1, 2).reshape(n * t, f, DIM)  # each time step's bins
        return self.freq_attn_agg(x).reshape(n, t, DIM)


class _GptBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.attn = _holder(key=nn.Linear(DIM, DIM), query=nn.Linear(DIM, DIM), value=nn.Linear(DIM, DIM),
                            proj=nn.Linear(DIM, DIM))
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attn
        b, n, _ = x.shape
        h = self.ln1(x)
        q, k, v = (lin(h).reshape(b, n, SYNC_HEADS, -1).transpose(1, 2) for lin in (a.query, a.key, a.value))
        y = _attend(q, k, v, 1.0 / math.sqrt(DIM // SYNC_HEADS)).transpose(1, 2).reshape(b, n, DIM)
        x = x + a.proj(y)
        return x + self.mlp(self.ln2(x))


class SyncTransformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.vis_in_lnorm, self.aud_in_lnorm = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.OFF_tok = nn.Parameter(torch.zeros(1, 1, DIM))
        self.MOD_tok = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_emb_cfg = _holder()
        self.pos_emb_cfg.pos_emb = nn.Parameter(torch.zeros(1, SYNC_TOKENS, DIM))
        self.blocks = nn.Sequential(*(_GptBlock() for _ in range(SYNC_LAYERS)))
        self.ln_f = nn.LayerNorm(DIM)
        self.off_head = nn.Linear(DIM, OFFSETS)

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        b = len(v)
        x = torch.cat([self.OFF_tok.expand(b, -1, -1), self.vis_in_lnorm(v), self.MOD_tok.expand(b, -1, -1),
                       self.aud_in_lnorm(a)], 1)
        x = self.blocks(x + self.pos_emb_cfg.pos_emb)
        return self.off_head(self.ln_f(x)[:, 0])


class Synchformer(nn.Module):
    def __init__(self, depth: int = 12, mlp: int = 4 * DIM, audio_depth: int = AUDIO_LAYERS) -> None:
        super().__init__()
        self.vfeat_extractor = MotionFormer(depth, mlp)
        self.afeat_extractor = AST(audio_depth)
        self.vproj, self.aproj = nn.Linear(DIM, DIM), nn.Linear(DIM, DIM)
        self.transformer = SyncTransformer()

    def video_features(self, segments: torch.Tensor) -> torch.Tensor:
        """(n, 16, 3, 224, 224) normalised frames -> (n, 8, 768)."""
        return self.vfeat_extractor(segments.transpose(1, 2))

    def audio_features(self, mels: torch.Tensor) -> torch.Tensor:
        """(n, 128, 66) normalised log-mels -> (n, 6, 768)."""
        return self.afeat_extractor(mels)

    def offset_logits(self, vfeats: torch.Tensor, afeats: torch.Tensor) -> torch.Tensor:
        """(b, S, 8, D) and (b, S, 6, D) segment features -> (b, 21) offset logits."""
        v, a = self.vproj(vfeats), self.aproj(afeats)
        return self.transformer(v.flatten(1, 2), a.flatten(1, 2))


def load_synchformer(path: str | os.PathLike) -> Synchformer:
    """Synchformer with the weights of ``path`` (the state dict, as ``synchformer_state_dict.pth``,
    or a dict holding it under ``model`` or ``state_dict``); :class:`BadWeights` naming what the
    file looks like otherwise."""
    from msi.io.paths import check_weights_file
    from msi.networks.formats import fill_state, read_state

    p = check_weights_file(path, EXPECTED)  # missing, a folder, a device, empty: one line
    p, state = read_state(p, EXPECTED, ("model", "state_dict"))
    def layers(prefix: str) -> int:
        return max(1, len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)}))

    pool = state.get("vfeat_extractor.spatial_attn_agg.linear1.weight")
    mlp = int(pool.shape[0]) if getattr(pool, "ndim", 0) == 2 else 4 * DIM  # absent: fill_state names it
    net = Synchformer(layers("vfeat_extractor.blocks."), mlp, layers("afeat_extractor.ast.encoder.layer."))
    return fill_state(net, state, p, "Synchformer")
