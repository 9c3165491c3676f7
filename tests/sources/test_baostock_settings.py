"""The baostock settings: defaults, errors naming the variable, the provider and the report label."""

from pathlib import Path

import pytest

from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.sources.baostock import BaostockProvider


def test_defaults_and_provider(monkeypatch, tmp_path):
    for name in (
        "MOMENTUM_BAOSTOCK_CACHE_DIR",
        "MOMENTUM_BAOSTOCK_INDEX",
        "MOMENTUM_BAOSTOCK_RF_ANNUAL",
        "MOMENTUM_BAOSTOCK_RETRIES",
        "MOMENTUM_RAW_FORCE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOMENTUM_DATA_SOURCE", "baostock")
    monkeypatch.setenv("MOMENTUM_DUCKDB_PATH", str(tmp_path / "data" / "w.duckdb"))
    settings = Settings.from_env()
    assert settings.baostock_cache == tmp_path / "data" / "baostock_cache"
    assert (settings.source.baostock_index, settings.source.baostock_rf_annual, settings.source.baostock_retries) == (
        "sh.000300",
        None,
        5,
    )
    assert settings.source.raw_force is False
    provider = data_source(settings).provider()
    assert isinstance(provider, BaostockProvider) and provider.cache.root == settings.baostock_cache
    label = data_source(settings).label
    assert "baostock A-shares (market sh.000300, rf the one-year deposit rate)" in label
    assert "a snapshot, not point in time" in label
    monkeypatch.setenv("MOMENTUM_BAOSTOCK_CACHE_DIR", "/elsewhere")
    monkeypatch.setenv("MOMENTUM_BAOSTOCK_RF_ANNUAL", "0.015")
    settings = Settings.from_env()
    assert settings.baostock_cache == Path("/elsewhere") and settings.source.baostock_rf_annual == 0.015


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("MOMENTUM_BAOSTOCK_INDEX", "000300", "MOMENTUM_BAOSTOCK_INDEX must be a baostock index code"),
        ("MOMENTUM_BAOSTOCK_RF_ANNUAL", "1.5", "MOMENTUM_BAOSTOCK_RF_ANNUAL must be an annual rate"),
        ("MOMENTUM_BAOSTOCK_RF_ANNUAL", "low", "MOMENTUM_BAOSTOCK_RF_ANNUAL must be a number"),
        ("MOMENTUM_BAOSTOCK_RETRIES", "99", "MOMENTUM_BAOSTOCK_RETRIES must be in"),
        ("MOMENTUM_RAW_FORCE", "please", "MOMENTUM_RAW_FORCE must be a boolean"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()
