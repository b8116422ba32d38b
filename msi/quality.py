"""The documented path of :mod:`msi.metrics.quality` (``from msi.quality import ...`` keeps working)."""
import sys

from msi.metrics import quality

sys.modules[__name__] = quality  # one module under both names: attributes and patches agree
