"""The documented path of :mod:`msi.metrics.lmd` (``from msi.lmd import ...`` keeps working)."""
import sys

from msi.metrics import lmd

sys.modules[__name__] = lmd  # one module under both names: attributes and patches agree
