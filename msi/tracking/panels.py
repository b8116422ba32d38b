"""Comparison videos: a grid of panels (ground truth | method A | method B), each scored alone.

A panel is named ``path#label`` (label: given, else its 1-based number in reading order: left to
right, top to bottom). Pure helpers: grid parsing, boxes, names.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from msi.errors import UsageError


@dataclass(frozen=True)
class PanelBox:
    x: int
    y: int
    width: int
    height: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.width, self.height]


def parse_grid(spec: str | tuple[int, int]) -> tuple[int, int]:
    """``"3x1"`` -> (3 columns, 1 row)."""
    if isinstance(spec, tuple):
        cols, rows = spec
    else:
        parts = str(spec).lower().replace("×", "x").split("x")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise UsageError(f"panel grid {spec!r}: expected COLSxROWS, e.g. 3x1")
        cols, rows = (int(p) for p in parts)
    if cols < 1 or rows < 1 or cols * rows < 2:
        raise UsageError(f"panel grid {spec!r}: needs at least 2 panels")
    return cols, rows


def panel_names(n: int, labels: tuple[str, ...] | list[str] | None = None) -> list[str]:
    if not labels:
        return [str(i + 1) for i in range(n)]
    labels = [str(s).strip() for s in labels]
    if len(labels) != n:
        raise UsageError(f"{len(labels)} panel labels for {n} panels")
    if len(set(labels)) != n or any(not s or "#" in s for s in labels):
        raise UsageError(f"panel labels {','.join(labels)}: must be distinct, non-empty and without '#'")
    return labels


def panel_boxes(width: int, height: int, cols: int, rows: int) -> list[PanelBox]:
    """Boxes of a COLSxROWS grid over a width x height frame, in reading order (edges rounded)."""
    xs = [round(c * width / cols) for c in range(cols + 1)]
    ys = [round(r * height / rows) for r in range(rows + 1)]
    return [PanelBox(xs[c], ys[r], xs[c + 1] - xs[c], ys[r + 1] - ys[r]) for r in range(rows) for c in range(cols)]


def split_panel_path(path: str) -> tuple[str, str | None]:
    """``"a.mp4#gt"`` -> ("a.mp4", "gt"); a path that exists as it is has no panel."""
    if "#" not in path or os.path.exists(path):
        return path, None
    file, label = path.rsplit("#", 1)
    return file, label


def expand_panels(paths: list[str], grid: str | tuple[int, int] | None,
                  labels: tuple[str, ...] | list[str] | None = None) -> list[str]:
    """Each video path -> one ``path#label`` per panel (landmark files and paths that already
    name a panel are kept as they are)."""
    if not grid:
        return list(paths)
    from msi.io.landmarks import is_landmark_file

    cols, rows = parse_grid(grid)
    names = panel_names(cols * rows, labels)
    out = []
    for p in paths:
        if is_landmark_file(p) or split_panel_path(p)[1] is not None:
            out.append(p)
        else:
            out += [f"{p}#{name}" for name in names]
    return out
