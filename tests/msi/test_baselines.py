"""Baseline statistics (Table IV comparison rows) against closed-form trajectories."""
from __future__ import annotations

import numpy as np
import pytest

from msi.metrics.baselines import (
    STATS,
    baseline_stats,
    log_dimensionless_jerk,
    mean_abs_acceleration,
    mean_jerk,
    region_stats,
    var_acceleration,
    var_velocity,
)

FPS = 25.0


def _traj(x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """(T, 1, 2) trajectory of one landmark."""
    y = np.zeros_like(x) if y is None else y
    return np.stack([x, y], axis=-1)[:, None, :]


def test_constant_velocity_has_no_variance_and_no_acceleration():
    t = np.arange(50) / FPS
    p = _traj(3.0 + 7.0 * t, -2.0 * t)
    s = baseline_stats(p, FPS)
    assert s["var_velocity"] == pytest.approx(0.0, abs=1e-18)
    assert s["var_acceleration"] == pytest.approx(0.0, abs=1e-9)
    assert s["mean_abs_acceleration"] == pytest.approx(0.0, abs=1e-9)
    assert s["mean_jerk"] == pytest.approx(0.0, abs=1e-6)


def test_sinusoid_velocity_variance_matches_closed_form():
    # x = A sin(w t), sampled for whole periods: the finite-difference velocity is
    # 2 A fps sin(w dt / 2) cos(w (t + dt/2)), whose variance over whole periods is half its
    # squared amplitude (the mean over the x and y axes keeps that value).
    amp, period_frames, periods = 4.0, 20, 5
    dt = 1 / FPS
    w = 2 * np.pi / (period_frames * dt)
    t = np.arange(period_frames * periods + 1) * dt  # T-1 velocities = whole periods
    p = _traj(amp * np.sin(w * t), amp * np.cos(w * t))  # a circle: both axes alike
    v_amp = 2 * amp * FPS * np.sin(w * dt / 2)
    assert var_velocity(p, FPS) == pytest.approx(v_amp**2 / 2, rel=1e-12)


def test_quadratic_and_cubic_have_known_acceleration_and_jerk():
    t = np.arange(40) / FPS
    c = 5.0
    quad = _traj(c * t**2, c * t**2)  # a = (2c, 2c) exactly: |a| = 2c sqrt 2, Var a = 0
    assert mean_abs_acceleration(quad, FPS) == pytest.approx(2 * c * np.sqrt(2), rel=1e-9)
    assert var_acceleration(quad, FPS) == pytest.approx(0.0, abs=1e-12)
    assert mean_jerk(quad, FPS) == pytest.approx(0.0, abs=1e-6)
    cubic = _traj(c * t**3)  # j = 6c exactly
    assert mean_jerk(cubic, FPS) == pytest.approx(6 * c, rel=1e-6)


def test_acceleration_variance_of_jitter_scales_with_fps_squared_squared():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(100, 5, 2))
    # same sample sequence played twice as fast: accelerations x4, variance x16
    assert var_acceleration(p, 2 * FPS) == pytest.approx(16 * var_acceleration(p, FPS), rel=1e-12)
    # pure white jitter of std s: second difference has variance 6 s^2 (per frame^2)
    big = rng.normal(scale=0.5, size=(20000, 1, 2))
    assert var_acceleration(big, 1.0) == pytest.approx(6 * 0.25, rel=0.03)


def test_ldlj_of_minimum_jerk_movement():
    # Minimum-jerk reach x = D(10 s^3 - 15 s^4 + 6 s^5): dimensionless jerk 720 / 1.875^2 = 204.8
    # (Balasubramanian et al. 2015), so LDLJ = -ln 204.8, independent of amplitude and duration.
    for dist, frames in [(10.0, 2001), (250.0, 4001)]:
        s = np.linspace(0, 1, frames)
        p = _traj(dist * (10 * s**3 - 15 * s**4 + 6 * s**5))
        assert log_dimensionless_jerk(p, fps=frames - 1) == pytest.approx(-np.log(204.8), abs=0.02)


def test_ldlj_is_lower_for_jittery_motion():
    s = np.linspace(0, 1, 101)
    smooth = _traj(10 * (10 * s**3 - 15 * s**4 + 6 * s**5))
    jitter = smooth + np.random.default_rng(1).normal(scale=0.3, size=smooth.shape)
    assert log_dimensionless_jerk(jitter, 100) < log_dimensionless_jerk(smooth, 100) - 1


def test_nan_frames_are_skipped_not_turned_into_jumps():
    t = np.arange(60) / FPS
    p = _traj(3.0 * t)
    p[[10, 11, 30]] = np.nan
    s = baseline_stats(p, FPS)
    for name in STATS:
        assert np.isfinite(s[name]), name
    assert s["var_velocity"] == pytest.approx(0.0, abs=1e-18)
    assert s["mean_abs_acceleration"] == pytest.approx(0.0, abs=1e-9)
    # LDLJ of a smooth reach barely changes when a few frames are lost
    u = np.linspace(0, 1, 501)
    reach = _traj(10 * (10 * u**3 - 15 * u**4 + 6 * u**5))
    holed = reach.copy()
    holed[[100, 101, 300]] = np.nan
    assert log_dimensionless_jerk(holed, 500) == pytest.approx(log_dimensionless_jerk(reach, 500), abs=0.05)


def test_all_nan_gives_nan_and_z_column_is_ignored():
    p = np.full((10, 3, 2), np.nan)
    assert all(np.isnan(v) for v in baseline_stats(p, FPS).values())
    rng = np.random.default_rng(2)
    xy = rng.normal(size=(30, 4, 2))
    xyz = np.concatenate([xy, rng.normal(size=(30, 4, 1)) * 100], axis=-1)
    assert baseline_stats(xyz, FPS) == baseline_stats(xy, FPS)


def test_region_stats_keys_and_bad_input():
    rng = np.random.default_rng(3)
    p = rng.normal(size=(30, 10, 3))
    out = region_stats(p, FPS, {"lip": (0, 1, 2), "jaw": (5, 6)})
    assert list(out) == [f"{s}_{r}" for r in ("lip", "jaw") for s in STATS]
    assert out["var_velocity_jaw"] == pytest.approx(var_velocity(p[:, [5, 6]], FPS))
    with pytest.raises(ValueError, match="fps"):
        baseline_stats(p, 0)
    with pytest.raises(ValueError, match="shape"):
        baseline_stats(p[0], FPS)
