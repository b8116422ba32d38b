"""Errors with a one-line message and a documented exit code.

Every failure a user can cause (a bad path, a file that is not a video, a video with no
face, too few frames) is raised as an :class:`MSIError`; the CLI prints ``msi: error: ...``
on one line and exits with the class's code, never a traceback.
"""
from __future__ import annotations

# Exit codes of the `msi` command (documented in the README).
EXIT_OK = 0
EXIT_FAILED = 1  # at least one input could not be scored (the others were)
EXIT_USAGE = 2  # bad command line (argparse's own code)
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT): 128 + 2, as a shell reports it
EXIT_TERMINATED = 143  # SIGTERM (a scheduler's stop, `docker stop`, `kill`): 128 + 15


class Interrupted(KeyboardInterrupt):
    """A stop (Ctrl-C, or SIGTERM turned into the same by the command line) after the finished
    work was kept: ``str()`` says what was finished and where it is (one line, printed by the
    command line). A KeyboardInterrupt, so every caller that handles Ctrl-C handles it too."""

    def __init__(self, kept: str = "") -> None:
        super().__init__(kept)
        self.kept = kept

    def __str__(self) -> str:
        return self.kept


class StableFaceError(Exception):
    """Root of every user-facing error of this project (``msi`` and ``stableface``).

    ``kind`` is a short machine-readable tag (it appears in result rows as ``error_kind``);
    ``exit_code`` is what the command-line layer exits with. Messages describe the problem in
    library terms and never name a command-line flag: the CLI layer adds those hints.
    """

    kind = "error"
    exit_code = EXIT_FAILED


class MSIError(StableFaceError):
    """A problem with an input of the metric, reported in one line."""


class InputNotFound(MSIError):
    kind = "not_found"


class UnreadableVideo(MSIError):
    kind = "unreadable"


class NoFace(MSIError):
    kind = "no_face"


class TooShort(MSIError):
    kind = "too_short"


class BadLandmarks(MSIError):
    kind = "bad_landmarks"


class ClusterError(MSIError):
    """The Dask cluster cannot be reached or used (``msi.cluster``)."""

    kind = "cluster"


class BadWeights(MSIError):
    """A network weights file given by the user is missing, unreadable or not the expected model:
    the whole run stops (one line, exit 1), since every video would fail the same way."""

    kind = "bad_weights"


class UsageError(MSIError):
    kind = "usage"
    exit_code = EXIT_USAGE


class TrackerError(MSIError):
    """A tracker backend that cannot run here (unknown name, missing mediapipe release, damaged model)."""

    kind = "tracker"


class OutputError(MSIError):
    """A result file that could not be written after the work was done (disk full, ...)."""

    kind = "output"
