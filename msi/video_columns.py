"""Kept importable under its old name: the module is :mod:`msi.comparison.video_columns`."""
import sys

from msi.comparison import video_columns as _module

sys.modules[__name__] = _module
