"""``msi compare``'s room: many videos of many methods -> per-video rows and the method table.

- :mod:`msi.comparison.compare`: the methods' folders, the jobs, the rows frame and the summary;
- :mod:`msi.comparison.video_columns`: every column of one video;
- :mod:`msi.comparison.utterance`: one job per utterance (a name): the truth and each method's
  video of that name, every column of every video computed in one pass over one decode of each;
- :mod:`msi.comparison.shared_decode`: that one decode, shared by the columns' frame readers;
- :mod:`msi.comparison.sensitivity`: the encoding ladder of ``--sensitivity``.
"""
