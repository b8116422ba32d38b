"""The generator's user-facing error: one line on stderr, exit code 1.

Library code raises :class:`GeneratorError` with a message in library terms; it never names a
command-line flag. A setting is named as its Python keyword (``size=4``, ``audio=FILE``), and
the command-line layer (:mod:`generator.cli`) writes those as flags (``--size 4``).
"""
from __future__ import annotations

from msi.errors import EXIT_FAILED, StableFaceError


class GeneratorError(StableFaceError):
    """A problem with an input or a setting of the generator, reported in one line."""

    kind = "generator"
    exit_code = EXIT_FAILED
