"""The documented path of :mod:`msi.plots.slices` (``from msi.slices import ...`` keeps working)."""
import sys

from msi.plots import slices

sys.modules[__name__] = slices  # one module under both names: attributes and patches agree
