"""idle_cores: a fan-out takes the cores the machine is not already using."""

import pytest

from momentum_dag.core import cores


@pytest.mark.parametrize(
    ("load", "expected"),
    [(0.0, 4), (1.0, 4), (1.6, 3), (2.0, 3), (3.4, 2), (4.6, 1), (30.0, 1)],
)
def test_all_cores_means_the_idle_ones(monkeypatch, load, expected):
    monkeypatch.setattr(cores, "effective_n_jobs", lambda n: 4 if n == -1 else n)
    monkeypatch.setattr(cores.os, "getloadavg", lambda: (load, 0.0, 0.0))
    assert cores.idle_cores(-1) == expected  # 4 cores + 1 (this process) - load, rounded, in [1, 4]
    assert cores.idle_cores(3) == 3  # an explicit count is kept
