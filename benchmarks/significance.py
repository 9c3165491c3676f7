"""Measure the rank-IC t-statistic of every registered factor and window on the synthetic market, for a
few seeds, and write them where the significance test reads its thresholds.

    .venv/bin/python benchmarks/significance.py                    # strong profile, seeds 20140101 7 11
    .venv/bin/python benchmarks/significance.py --seeds 20140101 3

The market is the test's (300 stocks, 16 industries, default history, ``strong`` profile), built through
Dagster by ``tests/integration/factors/test_significance.py``'s own helpers, so the figures are the ones the
test sees for the default seed. Output: ``tests/integration/factors/significance_strength.json``
({seed: {factor: {window: t}}}). Re-run it when the simulator's effects or a factor's definition change
on purpose; the test derives its thresholds from the file by a stated rule.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from momentum_dag.registry import FACTORS  # noqa: E402
from tests.integration.factors import test_significance as significance  # noqa: E402


class _Folders:
    """The one method of pytest's tmp_path_factory the market builder uses."""

    def __init__(self, base: str):
        self.base = base

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=name, dir=self.base))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[20140101, 7, 11])
    args = parser.parse_args()
    out = {}
    for seed in args.seeds:
        os.environ["MOMENTUM_SIM_SEED"] = str(seed)
        with tempfile.TemporaryDirectory() as folder:
            market = significance._market("strong", _Folders(folder))
            t = significance._rank_ic_t(market, [s.name for s in FACTORS])
        out[str(seed)] = {name: {str(w): round(float(v), 2) for w, v in s.items()} for name, s in t.items()}
        print(f"seed {seed}: {json.dumps(out[str(seed)])}", flush=True)
    significance.STRENGTH_FILE.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {significance.STRENGTH_FILE}")


if __name__ == "__main__":
    main()
