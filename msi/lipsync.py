"""The documented path of :mod:`msi.metrics.lipsync` (``from msi.lipsync import ...`` keeps working)."""
import sys

from msi.metrics import lipsync

sys.modules[__name__] = lipsync  # one module under both names: attributes and patches agree
