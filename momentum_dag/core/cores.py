"""How many processes a step's fan-out (joblib) should use on this machine now."""

from __future__ import annotations

import os

from joblib import effective_n_jobs


def idle_cores(n_jobs: int | None) -> int:
    """Processes for ``n_jobs``: -1 = the cores not already busy (cores + 1 - the 1-minute load average,
    rounded, at least 1: the step's own process counts once), another value as joblib reads it (None = 1).
    On a busy machine (other runs, CI) extra processes only add their start-up: French's 700 GJR-GARCH
    fits took 43-46 s in one process and 50-63 s over two at load 18 on 2 cores; the cross-industry Lasso,
    24 months, 22 s in one and 40 s over two at load 12."""
    if n_jobs != -1:
        return effective_n_jobs(n_jobs)
    cores = effective_n_jobs(-1)
    return max(1, min(cores, int(cores + 1.5 - os.getloadavg()[0])))
