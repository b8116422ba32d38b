"""``msi compare``'s room: many videos of many methods -> per-video rows and the method table.

- :mod:`msi.comparison.compare`: the methods' folders, one job per utterance, the rows frame,
  the set-level metrics (FID, FVD) and the summary;
- :mod:`msi.comparison.jobs`: one utterance's job to its rows (locally or on a Dask worker);
- :mod:`msi.comparison.video_columns`: every column of one utterance's videos (each method's
  video of that name and its truth) in one pass over one decode of each;
- :mod:`msi.comparison.shared_decode`: that one decode, shared by the columns' frame readers;
- :mod:`msi.comparison.feature_cache`: every column's per-video output, beside the landmark cache;
- :mod:`msi.comparison.provenance`: what produced each column;
- :mod:`msi.comparison.cluster`: the utterance jobs on Dask;
- :mod:`msi.comparison.sensitivity`: the encoding ladder of ``--sensitivity``.
"""
