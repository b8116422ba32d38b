"""Motion Stability Index (MSI) for talking-face videos.

StableFace: Analyzing and Improving Motion Stability for Talking Face Generation
(Ling et al., arXiv:2208.13717), Sec. III-D.
"""
__version__ = "0.1.0"
