"""A synthetic talking-head corpus: one real face photo speaking espeak-ng sentences.

``build`` makes the clips from ``sentences`` (text), ``espeak`` (speech and phoneme timings),
``visemes`` (mouth tracks) and ``warp`` (the face-mesh warp of the photo); ``sheet`` draws a
contact sheet; ``sweep`` validates MSI against known jitter.
"""
