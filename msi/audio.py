"""The documented path of :mod:`msi.io.audio` (``from msi.audio import ...`` keeps working)."""
import sys

from msi.io import audio

sys.modules[__name__] = audio  # one module under both names: attributes and patches agree
