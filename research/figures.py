"""Shared figure helper for the benchmark scripts (run them from the repository root)."""
from __future__ import annotations


def save_figure(fig, out) -> int:
    """Lay the figure out, write it to ``out`` (110 dpi), print the path; 0 (the script's exit code)."""
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)
    return 0
