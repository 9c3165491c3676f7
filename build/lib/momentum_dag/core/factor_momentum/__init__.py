"""Ehsani & Linnainmaa (2022) factor momentum: characteristics and long-short factor portfolios
(``characteristics``, ``portfolios``), time-series and cross-sectional factor momentum (``signals``),
PC factor momentum (``pc_factors``) and spanning tests (``spanning``)."""
