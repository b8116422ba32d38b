"""The inputs of a command: files, folders, globs and store URLs expanded into a list of videos."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from msi.io.remote import is_url  # plain string work: fsspec loads only for a URL


def expand_inputs(items: Iterable[str]) -> list[str]:
    """Files, folders (recursively: video files) and globs -> a sorted, de-duplicated list.
    fsspec URLs (``s3://bucket/prefix/``, ``s3://bucket/*.mp4``, ``https://...``) expand on their
    store the same way (:func:`msi.io.remote.expand_url`). The one input expansion of every
    command (``msi score``, ``msi report``).

    A path that does not exist is kept, so it is reported as an error in its place.
    """
    import glob

    from msi.io.video import VIDEO_EXTENSIONS

    out: list[str] = []
    for item in items:
        if is_url(item):  # a bucket prefix, a glob on the store, or one object (msi.io.remote)
            from msi.io.remote import expand_url

            out += expand_url(item, VIDEO_EXTENSIONS)
            continue
        p = Path(item)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS)
            out += found
        elif not p.exists() and any(c in item for c in "*?["):
            out += sorted(glob.glob(item, recursive=True))
        else:
            out.append(item)
    seen, unique = set(), []
    for x in out:
        if x not in seen:
            seen.add(x)
            unique.append(x)
    return unique
