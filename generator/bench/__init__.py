"""``stableface bench``: the paper's ablation tables regenerated with seeds and confidence intervals.

* :mod:`generator.bench.runs` — a resumable store of finished runs (one JSON file per run).
"""
