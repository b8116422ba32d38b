"""The documented path of :mod:`msi.metrics.syncnet` (``from msi.syncnet import ...`` keeps working)."""
import sys

from msi.metrics import syncnet

sys.modules[__name__] = syncnet  # one module under both names: attributes and patches agree
