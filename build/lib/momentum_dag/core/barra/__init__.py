"""Barra CNE5-style risk model: descriptors (``descriptors``), style exposures (``exposures``) and
cross-sectional factor returns (``factor_returns``)."""
