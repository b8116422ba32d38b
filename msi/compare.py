"""Kept importable under its old name: the module is :mod:`msi.comparison.compare`."""
import sys

from msi.comparison import compare as _module

sys.modules[__name__] = _module
