"""ArcFace (Deng et al. 2019, "ArcFace: additive angular margin loss for deep face recognition",
CVPR) run from an insightface ONNX model such as ``w600k_r50.onnx`` with onnxruntime, exactly as
insightface's ``ArcFaceONNX.get_feat`` prepares its input.

insightface's rule for the input scaling, kept here: a model whose first 8 graph nodes include a
``Sub``/``_minus`` and a ``Mul``/``_mul`` node (an MXNet conversion) normalises inside and gets
raw pixels (mean 0, std 1); any other model gets (pixel − 127.5) / 127.5. The input is the aligned
RGB face, NCHW float32, at the model's own input size (112 × 112 for ``w600k_r50``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from msi.errors import BadWeights
from msi.io.paths import check_weights_file

#: What the weights file is (for messages).
EXPECTED = "an insightface ArcFace ONNX model (e.g. w600k_r50.onnx: input N x 3 x 112 x 112, one embedding output)"
#: Faces per onnxruntime call.
BATCH = 32


@dataclass
class ArcFace:
    session: Any  # onnxruntime.InferenceSession
    input_name: str
    output_name: str
    input_size: int  # square side, pixels
    input_mean: float
    input_std: float

    def embed(self, faces: np.ndarray | Iterable[np.ndarray], batch: int = BATCH) -> np.ndarray:
        """Embeddings (N, d, float32) of aligned RGB ``uint8`` faces (N, S, S, 3), ``batch`` per call."""
        faces = np.asarray(faces) if not isinstance(faces, np.ndarray) else faces
        if len(faces) == 0:
            return np.zeros((0, 0), np.float32)
        out = []
        for i in range(0, len(faces), batch):
            blob = (faces[i:i + batch].astype(np.float32) - np.float32(self.input_mean)) * np.float32(1.0 / self.input_std)
            blob = np.ascontiguousarray(blob.transpose(0, 3, 1, 2), dtype=np.float32)
            out.append(self.session.run([self.output_name], {self.input_name: blob})[0])
        return np.concatenate(out).astype(np.float32)


def input_scaling(node_names: list[str]) -> tuple[float, float]:
    """insightface's (mean, std) rule from the names of the graph's first 8 nodes."""
    first = node_names[:8]
    sub = any(n.startswith("Sub") or n.startswith("_minus") for n in first)
    mul = any(n.startswith("Mul") or n.startswith("_mul") for n in first)
    return (0.0, 1.0) if sub and mul else (127.5, 127.5)


def load_arcface(path: str | os.PathLike) -> ArcFace:
    """An :class:`ArcFace` from an ONNX file (CPU); :class:`BadWeights` naming the expected model
    when the file is missing, not ONNX, or not one image input and one embedding output."""
    p = check_weights_file(path, EXPECTED)  # missing, a folder, a device, empty: one line
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:
        raise BadWeights(f"CSIM needs onnxruntime and onnx ({exc}); install them: pip install 'stableface[identity]'") from None
    try:
        model = onnx.load(p)
        session = onnxruntime.InferenceSession(p, providers=["CPUExecutionProvider"])
    except Exception as exc:  # protobuf decode errors, an invalid graph: one line
        raise BadWeights(f"{p}: not an ONNX model ({type(exc).__name__}; expected {EXPECTED})") from None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    shape = list(inputs[0].shape) if inputs else []
    if len(inputs) != 1 or len(outputs) != 1 or len(shape) != 4 or shape[1] != 3 \
            or not isinstance(shape[2], int) or shape[2] != shape[3]:
        found = ", ".join(f"{i.name} {i.shape}" for i in inputs)
        raise BadWeights(f"{p}: ONNX model with inputs ({found}) and {len(outputs)} outputs (expected {EXPECTED})")
    mean, std = input_scaling([n.name for n in model.graph.node])
    return ArcFace(session, inputs[0].name, outputs[0].name, int(shape[2]), mean, std)
