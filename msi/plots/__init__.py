"""Figures: space-time slices (``slices``) and the timeline, slice and scatter figures (``figures``)."""
