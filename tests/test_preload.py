"""The multiprocess executor's forkserver preload (momentum_dag.runtime.preload).

A step process forked from it that fanned out with joblib (loky's reusable workers, as
``factor/momentum_cross_industry_lasso`` does) exits when its work is done: multiprocessing joins a process's
children before its other exit handlers, and loky's idle workers stay 300 s, so without the preload's exit
hook the step's process (and every step waiting for it) stood still for five minutes.
"""

import math
import multiprocessing

from joblib import Parallel, delayed


def _fan_out() -> None:
    # tasks long enough that joblib hands them to its worker processes (trivial ones it may run here)
    assert len(Parallel(n_jobs=2)(delayed(math.factorial)(20_000 + i) for i in range(40))) == 40


def test_a_step_process_that_used_joblib_workers_exits_when_done():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["momentum_dag.runtime.preload"])
    process = context.Process(target=_fan_out)
    process.start()
    process.join(timeout=120)  # far below loky's 300 s idle timeout, far above the work (a few seconds)
    alive = process.is_alive()
    if alive:
        process.kill()
        process.join()
    assert not alive, "the step's process still waits for joblib's idle workers"
    assert process.exitcode == 0
