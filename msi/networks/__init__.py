"""The feature networks of the set-level and identity columns, each loading weights the user
already has (nothing is downloaded): :mod:`msi.networks.inception` (FID: pytorch-fid's InceptionV3
state dict), :mod:`msi.networks.i3d` (FVD: StyleGAN-V's TorchScript I3D), :mod:`msi.networks.arcface`
(CSIM: an insightface ArcFace ONNX model). Importing one of them imports torch or onnxruntime;
nothing else in ``msi`` does unless such weights are given (:mod:`msi.metrics.networks` loads them lazily).
"""
