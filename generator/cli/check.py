"""``stableface check VIDEO...``: does each video declare itself AI-generated?

Per video: its C2PA manifest (valid, tampered or absent, with its claims), the invisible
watermark in the frames and the audio mark in the speech (each found or not, its payload and a
confidence; "no audio track" for a video without audio). One line per video, or ``--json``.
A video that cannot be read is reported on its line and the others are still checked; the exit
code is then 1.
"""
from __future__ import annotations

import json

import click


def describe(r: dict) -> str:
    """One line for one video's check record (:func:`msi.provenance.declared.check_video`)."""
    if "error" in r:
        return f"{r['video']}: error: {r['error']}"
    c, w = r["c2pa"], r["watermark"]
    by = r["declared_by"]
    verdict = (f"AI-generated (declared by {' and '.join([', '.join(by[:-1]), by[-1]] if len(by) > 1 else by)})"
               if r["declared_generated"] else "not declared generated")
    if c["state"] == "valid":
        trust = "trusted signer" if c["trusted"] else f"signer not trusted: {c['signer']}"
        claims = ", ".join(x for x in (c["digital_source_type"] and c["digital_source_type"].rsplit("/", 1)[-1],
                                       c["generator"] and f"by {c['generator']}",
                                       c["parameters"].get("checkpoint_sha256") and
                                       f"checkpoint {c['parameters']['checkpoint_sha256'][:12]}") if x)
        manifest = f"C2PA valid ({trust}; {claims or 'no creation claims'})"
    elif c["state"] == "tampered":
        bad = [f for f in c["failures"] if not f.startswith("signingCredential")]
        manifest = f"C2PA TAMPERED ({', '.join(bad)})"
    else:
        manifest = f"C2PA {c['state']}" + (f" ({c['message']})" if c.get("message") else "")
    if w["found"]:
        run = f"run {w['run_id']}" if w["payload_ok"] else "run id unreadable (CRC failed)"
        mark = f"watermark found: {w['tag']} {run}, z {w['z']:.1f} (p <= {w['p_value']:.1e})"
    else:
        mark = f"watermark not found (z {w['z']:.1f} over {w['frames']} frames)"
    return f"{r['video']}: {verdict} | {manifest} | {mark} | {describe_audio_mark(r['audio_mark'])}"


def describe_audio_mark(a: dict) -> str:
    """The audio mark's part of a check line."""
    if a.get("no_audio"):
        return "audio mark: no audio track"
    if a["found"]:
        run = f"run {a['run_id']}" if a["payload_ok"] else "run id unreadable (CRC failed)"
        return f"audio mark found: {a['tag']} {run}, z {a['z']:.1f} (p <= {a['p_value']:.1e})"
    return f"audio mark not found (z {a['z']:.1f} over {a['seconds']:.1f} s)"


@click.command("check", short_help="say whether videos declare themselves AI-generated")
@click.argument("videos", nargs=-1, required=True)
@click.option("--frames", "max_frames", type=click.IntRange(min=1), default=100, show_default=True,
              help="frames read (spread over the video) to look for the watermark")
@click.option("--json", "as_json", is_flag=True, help="one JSON array of records instead of lines")
def command(videos: tuple[str, ...], max_frames: int, as_json: bool) -> int:
    """Check VIDEOS for the marks `stableface synthesize` writes: the C2PA manifest (valid,
    tampered or absent, and its claims: digital source type, generator, checkpoint) and the
    invisible watermark (found or not, its payload: the "stableface" tag and the run id, and its
    z-score: an unmarked video scores like a standard normal, found means z >= 6; the run id is
    shown when its CRC holds), and the audio mark in the speech track (the same payload; found
    means z >= 7.55; "no audio track" when the video has none). The verdict is "AI-generated"
    when any of the three declares it (a valid manifest, the frame watermark, the audio mark), and
    names each that does.

    A manifest signed with stableface's local certificate is valid but its signer untrusted."""
    from msi.errors import StableFaceError
    from msi.provenance.declared import check_video

    records, failed = [], 0
    for v in videos:
        try:
            r = check_video(v, mark_frames=max_frames)
        except StableFaceError as exc:
            r, failed = {"video": v, "error": str(exc)}, failed + 1
        records.append(r)
        if not as_json:
            click.echo(describe(r))
    if as_json:
        click.echo(json.dumps(records, indent=1))
    return 1 if failed else 0
