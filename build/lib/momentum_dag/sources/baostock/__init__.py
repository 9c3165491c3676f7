"""The baostock provider (``MOMENTUM_DATA_SOURCE=baostock``): real A-shares in the raw contract.

Modules: ``client`` (the injected client and the retrying session), ``cache`` (Parquet files, atomic
writes), ``universe`` (monthly universe, industry snapshot), ``bars`` (daily bars, adjustment basis),
``fundamentals`` (point-in-time reports and share counts), ``market`` (index return, risk-free rate),
``provider`` (download plan, progress, build, validation, summary).
"""

from momentum_dag.sources.baostock.client import BaostockError, BaostockUnavailableError
from momentum_dag.sources.baostock.provider import BaostockProvider, industry_caveat

__all__ = ["BaostockError", "BaostockProvider", "BaostockUnavailableError", "industry_caveat"]
