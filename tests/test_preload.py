"""The multiprocess executor's forkserver preload (momentum_dag.runtime.preload).

A step process forked from it that fanned out with joblib (loky's reusable workers, as
``factor/momentum_cross_industry_lasso`` does) exits when its work is done: multiprocessing joins a process's
children before its other exit handlers, and loky's idle workers stay 300 s, so without the preload's exit
hook the step's process (and every step waiting for it) stood still for five minutes.

And a step's process tags its run with the run's process (the one that started the forkserver), not with
itself: it ends with its step, and a ``momentum-dag`` started meanwhile then marked the running run failed.
"""

import math
import multiprocessing
import os

from joblib import Parallel, delayed

from momentum_dag.storage.process import PROCESS_TAG, process_tags, process_token


def _fan_out() -> None:
    # tasks long enough that joblib hands them to its worker processes (trivial ones it may run here)
    assert len(Parallel(n_jobs=2)(delayed(math.factorial)(20_000 + i) for i in range(40))) == 40


def _tags_the_run_with(pid: int) -> None:
    assert process_tags()[PROCESS_TAG] == process_token(pid), (process_tags(), process_token(pid))


def test_a_step_process_tags_the_runs_process_and_exits_when_joblib_is_done():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["momentum_dag.runtime.preload"])
    tagger = context.Process(target=_tags_the_run_with, args=(os.getpid(),))
    tagger.start()
    tagger.join(timeout=300)
    assert tagger.exitcode == 0, "a step's process tags the run with itself, not with the run's process"
    process = context.Process(target=_fan_out)
    process.start()
    process.join(timeout=120)  # far below loky's 300 s idle timeout, far above the work (a few seconds)
    alive = process.is_alive()
    if alive:
        process.kill()
        process.join()
    assert not alive, "the step's process still waits for joblib's idle workers"
    assert process.exitcode == 0
