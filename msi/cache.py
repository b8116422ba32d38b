"""The documented path of :mod:`msi.io.cache` (``from msi.cache import ...`` keeps working)."""
import sys

from msi.io import cache

sys.modules[__name__] = cache  # one module under both names: attributes and patches agree
