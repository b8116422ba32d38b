"""``msi study``: make, serve and analyse the user studies of StableFace (Ling et al.,
arXiv:2208.13717): MOS on three questions (Table III), paired preference tests (Fig. 8/9) and the
per-video MOS that ``msi correlate`` turns into Table IV.

Modules: :mod:`~msi.study.design` (questions, items, each rater's plan), :mod:`~msi.study.manifest`
(the study folder's ``study.json``), :mod:`~msi.study.make` (building the folder: videos, page),
:mod:`~msi.study.answers` (the tidy answers format and its validation), :mod:`~msi.study.formats`
(answers from other tools: minimal tidy rows, wide tables, avrateNG, the P.910 toolkit),
:mod:`~msi.study.store` (answers in SQLite as they arrive), :mod:`~msi.study.server` (the study's
web app), :mod:`~msi.study.httpd` (the HTTP server under it: every request bounded in time and size), :mod:`~msi.study.analysis` (screening, MOS/DMOS/CMOS, preferences, agreement),
:mod:`~msi.study.crowd` (crowd-grade quality control), :mod:`~msi.study.scaling` (many methods on
one scale: Thurstone, Bradley-Terry), :mod:`~msi.study.adaptive` (the next pairs to show),
:mod:`~msi.study.report` (tables, figures, files). ``assets/`` holds the rating page (HTML, script, stylesheet; no CDN).
"""
