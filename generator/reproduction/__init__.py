"""The paper's tables regenerated with seeds and confidence intervals (``stableface bench``).

* :mod:`generator.reproduction.ablations` — Table V and Fig. 9: variants x seeds, trained, scored, reported;
* :mod:`generator.reproduction.table4` — Table IV on ground truth: MSI against known injected jitter;
* :mod:`generator.reproduction.motion_chain` — MSI and the mouth's motion at every link from the
  predicted mesh to the written video;
* :mod:`generator.reproduction.evaluate` — one generated video scored against its truth;
* :mod:`generator.reproduction.published` — the paper's own numbers (``paper/``), and ours beside them;
* :mod:`generator.reproduction.runs` — a resumable store of finished runs (one JSON file per run).
"""
