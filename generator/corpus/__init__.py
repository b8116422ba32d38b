"""A synthetic talking-head corpus: one real face photo speaking espeak-ng sentences.

``build`` makes the clips: ``sentences`` (text) -> ``espeak`` (speech, phoneme timings) ->
``speech`` (a clip's speech track) -> ``visemes`` (mouth tracks); ``motion`` (head motion,
blinks); ``photo`` (the face photo and its mesh) animated by ``warp`` (rig and piecewise-affine
warp); ``config`` holds the settings. ``sheet`` draws a contact sheet; ``sweep`` validates MSI
against known lip jitter.
"""
