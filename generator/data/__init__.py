"""Training data: a talking video -> a prepared data directory (StableFace, Sec. III-A, IV-A).

``prepare`` runs the steps in order: ``timeline`` (25 fps resampling, splits), ``track``
(resumable face-mesh tracking), ``crop`` (one face crop per clip), ``face3d`` (shape, pose,
expression), ``topology`` and ``raster`` (mesh triangles, face-shape renders, mouth masks),
``audio`` (16 kHz speech, log-mel windows). ``dataset`` reads a prepared directory back.
"""
