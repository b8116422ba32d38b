"""The documented path of :mod:`msi.tracking.checks` (``from msi.tracker_checks import ...`` keeps working)."""
import sys

from msi.tracking import checks

sys.modules[__name__] = checks  # one module under both names: attributes and patches agree
