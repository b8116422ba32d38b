"""``msi report``: one self-contained folder of HTML pages to *see* where each method jitters.

The paper (StableFace, Ling et al., arXiv:2208.13717) asks its readers to watch the videos:
jitter is seen in motion. A report shows, per utterance, every method's video playing in sync
with its per-window MSI timeline, its mouth opening against the truth's and its vertical slice
(Fig. 1/7) on one time axis, the worst windows one click away; and on its summary page the
``msi compare`` table with CIs, the method figure and the warnings.

Modules: :mod:`~msi.report.plan` (rows -> layout), :mod:`~msi.report.collect` (one video's
timeline, opening, slice and preview), :mod:`~msi.report.previews` (what Chromium plays, PyAV
transcoding), :mod:`~msi.report.pages` (HTML), :mod:`~msi.report.build` (the atomic folder);
``assets/`` holds the page script and stylesheet, written by us (no CDN, works from ``file://``).
"""
