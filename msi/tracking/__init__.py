"""Landmarks from a video: tracker backends (``trackers``), which face is followed
(``face_choice``), comparison-grid panels (``panels``), the paper's mouth crop (``paper_crop``),
and the frozen-video / known-step checks of a tracker (``checks``)."""
