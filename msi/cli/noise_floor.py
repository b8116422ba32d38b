"""``msi noise-floor VIDEO``: the MSI the tracker alone produces on this video (still copy) and
the smallest MSI difference it resolves (re-encoded repeats); see :mod:`msi.noise_floor`."""
from __future__ import annotations

import json
import math
import sys

import click

from msi.cli import options as opt
from msi.errors import EXIT_OK, Interrupted, UsageError


def _f(v, spec: str = ".4f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


@click.command("noise-floor", epilog="""\b
exit codes: 0 done, 1 the video could not be tracked, 2 bad command line, 130 interrupted
(Ctrl-C), 143 stopped by SIGTERM (nothing is written before the end; the video's own
landmarks stay in the cache).

\b
examples:
  msi noise-floor video.mp4
  msi noise-floor video.mp4 --repeats 5 --json""")
@click.argument("video")
@click.option("--repeats", type=int, default=5, show_default=True, metavar="N",
              help="re-encoded copies of the video to track (the floor is their spread)")
@click.option("--anchors", type=int, default=3, show_default=True, metavar="N",
              help="frames held still for the still copy, spread over the video")
@click.option("--pixel-noise", type=float, default=2.0, show_default=True, metavar="SIGMA",
              help="std of the Gaussian pixel noise of each re-encoded frame, grey levels of 255")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the pixel noise")
@opt.json_option()
@opt.resample_option()
@opt.tracking_options()
@opt.tracker_option()
@opt.cache_options()
def command(video: str, repeats: int, anchors: int, pixel_noise: float, seed: int, as_json: bool,
            resample_fps: float | None, max_side: int, max_faces: int, no_face_check: bool, tracker: str,
            no_cache: bool) -> int:
    """Tracker noise floor of VIDEO.

    still MSI: the MSI of a copy with all motion removed (frames held still under fresh pixel noise
    and H.264 re-encoding), i.e. what the tracker's per-frame noise alone leaves of the maximum 2.0.
    floor: 1.96 x sqrt(2) x the std of the MSI of re-encoded copies of the video; two videos whose
    MSI differ by less than the floor are not told apart by the tracker.
    """
    from msi.noise_floor import noise_floor
    from msi.settings import Settings

    if repeats < 2:
        raise UsageError("--repeats must be at least 2 (the floor is a spread)")
    if anchors < 1:
        raise UsageError("--anchors must be at least 1")
    if not pixel_noise > 0:
        raise UsageError("--pixel-noise must be positive")
    opt.check_resample(resample_fps)
    from msi.io.landmarks import is_landmark_file

    if is_landmark_file(video):  # the floor re-encodes and re-tracks frames: landmarks cannot give it
        raise UsageError(f"{video}: a landmark file; the noise floor re-tracks re-encoded frames, give the video")
    settings = Settings(resample_fps=resample_fps, **opt.tracking_settings(max_side, max_faces, no_face_check, tracker))
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()
    cache = opt.cache_setting(no_cache)
    try:
        nf = noise_floor(video, settings, anchors=anchors, repeats=repeats, pixel_noise=pixel_noise, seed=seed,
                         cache=cache)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: say what a rerun will not redo
        raise Interrupted(_kept(video, settings, cache)) from None
    if as_json:
        json.dump(nf.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"{nf.path}  ({nf.settings['tracker']}, {nf.fps:.2f} fps)")
    print(f"{'':24}{'lip':>8}{'jaw':>8}")
    print(f"{'MSI (video)':24}{_f(nf.msi_lip):>8}{_f(nf.msi_jaw):>8}")
    print(f"{'still MSI (noise only)':24}{_f(nf.still_msi_lip):>8}{_f(nf.still_msi_jaw):>8}")
    print(f"{'floor (resolvable dMSI)':24}{_f(nf.floor_lip):>8}{_f(nf.floor_jaw):>8}")
    print(f"tracker noise: {_f(nf.tracker_noise_px, '.3f')} px per frame on the lips (mouth 64 px wide); "
          f"{len(nf.repeat_msi_lip)} repeats, {nf.settings['anchors']} still anchors")
    return EXIT_OK


def _kept(video: str, settings, cache: bool | str) -> str:
    """The interrupted run's one line: the video's own landmarks are cached once tracked; the still
    and re-encoded copies are never cached (their bytes are new each run)."""
    from msi.acquire import get_landmarks

    try:
        tracked = bool(cache) and get_landmarks(video, settings, cache, cached_only=True) is not None
    except Exception:  # noqa: BLE001 - only a hint; the interrupt is what is reported
        tracked = False
    if tracked:
        return "nothing printed; the video's landmarks are in the cache, a rerun tracks only its still and re-encoded copies"
    return "nothing printed; the video was not tracked yet"
