"""``msi study``: make, serve and analyse the user studies of StableFace (Ling et al.,
arXiv:2208.13717): MOS on three questions (Table III), paired preference tests (Fig. 8/9) and the
per-video MOS that ``msi correlate`` turns into Table IV.

Modules: :mod:`~msi.study.design` (questions, items, each rater's plan), :mod:`~msi.study.manifest`
(the study folder's ``study.json``), :mod:`~msi.study.make` (building the folder: videos, page),
:mod:`~msi.study.answers` (the tidy answers format and its validation), :mod:`~msi.study.store`
(answers in SQLite as they arrive), :mod:`~msi.study.server` (the study's web app),
:mod:`~msi.study.httpd` (the HTTP server under it: every request bounded in time and size),
:mod:`~msi.study.analysis` (screening, MOS, preferences, agreement), :mod:`~msi.study.report`
(tables, figure, files). ``assets/`` holds the rating page (HTML, script, stylesheet; no CDN).
"""
