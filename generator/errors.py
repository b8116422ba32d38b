"""The generator's user-facing error: one line on stderr, exit code 1.

Library code raises :class:`GeneratorError` with a message in library terms (it never names a
command-line flag); ``generator.cli`` prints it as ``stableface: error: ...``.
"""
from __future__ import annotations

from msi.errors import EXIT_FAILED, StableFaceError


class GeneratorError(StableFaceError):
    """A problem with an input or a setting of the generator, reported in one line."""

    kind = "generator"
    exit_code = EXIT_FAILED
