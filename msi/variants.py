"""The documented path of :mod:`msi.metrics.variants` (``from msi.variants import ...`` keeps working)."""
import sys

from msi.metrics import variants

sys.modules[__name__] = variants  # one module under both names: attributes and patches agree
