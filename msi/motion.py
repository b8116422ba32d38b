"""The documented path of :mod:`msi.metrics.motion` (``from msi.motion import ...`` keeps working)."""
import sys

from msi.metrics import motion

sys.modules[__name__] = motion  # one module under both names: attributes and patches agree
