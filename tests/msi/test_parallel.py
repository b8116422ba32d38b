"""Jobs over worker processes (:mod:`msi.parallel`): the parent can be one of the workers."""
from __future__ import annotations

import os
import time

import pytest


def _whose(job: int) -> tuple[int, int]:
    time.sleep(0.05)
    return job, os.getpid()


@pytest.mark.slow
def test_the_parent_works_as_one_of_the_workers_and_every_job_runs_once():
    """``workers=2, parent_works=True``: one process is spawned, the parent runs jobs too (from
    the start, while the worker imports), every job's result comes back once."""
    from msi.parallel import imap_jobs

    got = list(imap_jobs(_whose, range(8), workers=2, parent_works=True))
    assert sorted(j for j, _ in got) == list(range(8))
    pids = {p for _, p in got}
    assert os.getpid() in pids and len(pids) == 2, pids
    # one job: no worker at all
    assert list(imap_jobs(_whose, [5], workers=2, parent_works=True)) == [(5, os.getpid())]
