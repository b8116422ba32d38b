"""Kept importable under its old name: the module is :mod:`msi.comparison.sensitivity`."""
import sys

from msi.comparison import sensitivity as _module

sys.modules[__name__] = _module
