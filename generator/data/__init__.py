"""Training data: a talking video -> a prepared data directory (StableFace, Sec. III-A, IV-A).

``prepare`` runs the steps; ``audio`` (16 kHz speech, log-mel windows), ``face3d`` (shape, pose,
expression), ``topology`` and ``raster`` (face-mesh triangles, face-shape renders and mouth masks)
hold them; ``dataset`` reads a prepared directory back.
"""
