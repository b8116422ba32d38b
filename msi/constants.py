"""Paper constants of the Motion Stability Index, in one place.

StableFace (Ling et al., "StableFace: Analyzing and Improving Motion Stability for Talking
Face Generation", arXiv:2208.13717), Sec. III-D.
"""

#: Side of the square crop the paper resizes the face to (pixels).
CROP_SIZE = 256
#: Mouth width as a fraction of the crop side (the crop box is 4 mouth widths wide).
MOUTH_WIDTH_RATIO = 0.25
#: Mouth width after normalisation: 0.25 * 256 = 64 px.
TARGET_MOUTH_WIDTH = MOUTH_WIDTH_RATIO * CROP_SIZE
#: Number of first frames whose mean corner-to-corner distance defines the mouth width
#: (paper: 5; the public reference code uses 10, see ``mouth_width_frames``).
MOUTH_WIDTH_FRAMES = 5
#: Accelerations per window.
WINDOW = 12
#: Hop between window starts (half a window).
HOP = 6
#: Bias added to the variance before inverting; bounds MSI to (0, 1/EPS] = (0, 2].
EPS = 0.5
#: Frame rate the paper's numbers are defined at.
PAPER_FPS = 25.0
