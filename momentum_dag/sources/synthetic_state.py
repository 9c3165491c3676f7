"""Saved states of the synthetic market, so a new month resumes the simulation instead of replaying it.

The simulator is a Markov chain from month to month: its state after month k and month k+1's own random
stream (seeded by the month's index) give month k+1 exactly. Without saved states every run replays the
history from the first month: one new month of a 5,000-stock, 20-year market spent about 6.5 s of its raw
step there. A state is a cache, never a source of rows: keyed by the market's config and the simulator's
code (a change to either starts a new key), written atomically (a reader sees a whole file or none), and an
unreadable one means replaying from an earlier state or from the start, so the rows are the same in every
case. Only the newest few states of a key are kept.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np

from momentum_dag.sources.synthetic_dynamics import MarketSimulation, Strengths
from momentum_dag.sources.synthetic_universe import Universe

KEEP = 3  # the next month's run needs the newest; two more serve a re-run of the last two months
KEEP_KEYS = 4  # markets (configs or simulator versions) whose states are kept
_CODE = ("synthetic.py", "synthetic_dynamics.py", "synthetic_universe.py", "synthetic_state.py", "calendar.py")
_STATIC = ("u", "s")  # rebuilt from the config, not stored


def saved_starts(last: int) -> range:
    """The month indices whose starting states a range ending with month ``last`` saves: its last
    ``KEEP - 1`` months (a re-run of them) and the month after it (the next month's run)."""
    return range(last - KEEP + 2, last + 2)


def live_reports(reports: list, month_start) -> list:
    """The quarter reports a simulation resumed at ``month_start`` can still use: the last four (the
    dynamics read them) and any with an announcement on or after that day (the fundamentals table emits
    them). The others are history no later month reads: dropping them keeps a state at ~1/10 of the size."""
    cutoff = np.datetime64(month_start, "us")
    return [r for i, r in enumerate(reports) if i >= len(reports) - 4 or (r.announce_date >= cutoff).any()]


def config_key(config: object) -> str:
    """The cache key of a market: its config's repr, the simulator's source and numpy's version (its
    random streams and arithmetic define the rows)."""
    digest = hashlib.sha256(repr(config).encode())
    digest.update(np.__version__.encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:20]


class StateCache:
    """States of one market (one :func:`config_key`) in ``folder/<key>/<month index>.pkl``; the file of
    index i holds the state at the start of month i (after month i - 1 and its quarter close)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = Path(folder) / key

    def _indices(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(p.stem) for p in self.folder.glob("*.pkl") if p.stem.isdigit())

    def latest(self, at_most: int, universe: Universe, strengths: Strengths) -> tuple[int, MarketSimulation] | None:
        """The saved state with the largest month index <= ``at_most``, as ``(index, simulation)``; None
        when there is none (or none readable)."""
        for index in reversed([i for i in self._indices() if i <= at_most]):
            try:
                with open(self.folder / f"{index}.pkl", "rb") as f:
                    state = pickle.load(f)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
                continue  # e.g. a file cut short by a full disk: an earlier state or the start serves
            sim = MarketSimulation.__new__(MarketSimulation)
            sim.__dict__.update(state)
            sim.u, sim.s = universe, strengths
            return index, sim
        return None

    def save(self, index: int, sim: MarketSimulation, month_start) -> None:
        """Store the state at the start of month ``index`` (which begins on ``month_start``); keep the newest
        :data:`KEEP` states."""
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {name: value for name, value in sim.__dict__.items() if name not in _STATIC}
        state["reports"] = live_reports(sim.reports, month_start)
        with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, self.folder / f"{index}.pkl")  # atomic: concurrent runs write the same bytes
        for old in self._indices()[:-KEEP]:
            (self.folder / f"{old}.pkl").unlink(missing_ok=True)
        # other keys are other markets or older simulator code: keep the most recently used few
        others = sorted((p for p in self.folder.parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for stale in others[:-KEEP_KEYS]:
            shutil.rmtree(stale, ignore_errors=True)
