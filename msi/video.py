"""The documented path of :mod:`msi.io.video` (``from msi.video import ...`` keeps working)."""
import sys

from msi.io import video

sys.modules[__name__] = video  # one module under both names: attributes and patches agree
