"""The documented path of :mod:`msi.io.samples` (``from msi.samples import ...`` keeps working)."""
import sys

from msi.io import samples

sys.modules[__name__] = samples  # one module under both names: attributes and patches agree
