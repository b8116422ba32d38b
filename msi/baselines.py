"""The documented path of :mod:`msi.metrics.baselines` (``from msi.baselines import ...`` keeps working)."""
import sys

from msi.metrics import baselines

sys.modules[__name__] = baselines  # one module under both names: attributes and patches agree
