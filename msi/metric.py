"""The documented path of :mod:`msi.metrics.stability` (``from msi.metric import ...`` keeps working)."""
import sys

from msi.metrics import stability

sys.modules[__name__] = stability  # one module under both names: attributes and patches agree
