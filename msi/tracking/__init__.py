"""Landmarks from a video: tracker backends (``trackers``), which face is followed (``identity``),
comparison-grid panels (``panels``), and the frozen-video / known-step checks of a tracker
(``checks``).

The tracker API is re-exported here, so ``from msi.tracking import open_tracker`` (the documented
path) keeps working; modules inside ``msi`` import from ``msi.tracking.trackers``.
"""
from msi.tracking.trackers import (  # noqa: F401  (re-exports)
    DEFAULT_TRACKER, FACE_CHECK_STRIDE, FACE_CHECK_VERSION, FACE_CONFIDENT_SCORE, FACE_CONFIDENT_SHARE,
    FACE_SEEN_SCORE, LEGACY_MEDIAPIPE, MODEL_FILE, MODEL_SHA256, N_POINTS, TRACKERS, FaceCheck,
    FaceMeshLegacyTracker, FaceMeshTracker, LandmarkerTracker, Tracked, Tracker, TrackerSettings,
    check_tracker_name, detector_model_bytes, mediapipe_version, model_bytes, open_tracker, reuse_trackers,
    select_face, silence_native_logs, track_frames, track_frames_verified, track_video, tracker_available,
    tracker_builds, tracker_identity)
