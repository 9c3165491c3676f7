"""Settings from the environment: defaults, parsing, and errors naming the variable."""

import pytest

from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.sources.synthetic import EffectStrengths


def test_defaults(monkeypatch):
    for name in ("MOMENTUM_SIM_STOCKS", "MOMENTUM_SIM_INDUSTRIES", "MOMENTUM_HISTORY_START"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert (settings.sim.stocks, settings.sim.industries, str(settings.source.history_start)) == (
        1000,
        31,
        "2014-01-01",
    )
    assert settings.evaluation.filters.min_listed_days == 60 and settings.dmom.min_months == 60


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("MOMENTUM_SIM_STOCKS", "many", "MOMENTUM_SIM_STOCKS must be an integer"),
        ("MOMENTUM_SIM_PROFILE", "weak", "MOMENTUM_SIM_PROFILE must be one of"),
        ("MOMENTUM_HISTORY_START", "2014-01-15", "first day of a month"),
        ("MOMENTUM_DATA_SOURCE", "bloomberg", "MOMENTUM_DATA_SOURCE must be one of"),
        ("MOMENTUM_SIM_EFFECT_SCALE", "-1", "MOMENTUM_SIM_EFFECT_SCALE must be in"),
        ("MOMENTUM_CRASH_KF_VAR_WINDOW_MONTHS", "6", "MOMENTUM_CRASH_KF_VAR_WINDOW_MONTHS must be >= 12"),
        ("MOMENTUM_CRASH_BREAKPOINTS", "nyse", "MOMENTUM_CRASH_BREAKPOINTS must be one of"),
        ("MOMENTUM_CRASH_LARGE_CAP_SHARE", "0", "MOMENTUM_CRASH_LARGE_CAP_SHARE must be in"),
        ("MOMENTUM_DUCKDB_MEMORY_LIMIT", "lots", "MOMENTUM_DUCKDB_MEMORY_LIMIT must be a size like 2GB"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()


def test_files_source_needs_a_folder(monkeypatch):
    monkeypatch.setenv("MOMENTUM_DATA_SOURCE", "files")
    monkeypatch.delenv("MOMENTUM_FILES_DIR", raising=False)
    with pytest.raises(ValueError, match="MOMENTUM_FILES_DIR"):
        Settings.from_env()


def test_effect_scale_multiplies_the_profile_s_predictive_effects_only(monkeypatch):
    monkeypatch.setenv("MOMENTUM_SIM_PROFILE", "strong")
    monkeypatch.setenv("MOMENTUM_SIM_EFFECT_SCALE", "0.5")
    effects = data_source(Settings.from_env()).provider().config.effects
    assert effects.sign_persistence == effects.industry_lead_lag == effects.bear_loser_beta == 0.5
    assert effects.market_regimes == effects.market_vol_clustering == 1.0
    monkeypatch.setenv("MOMENTUM_SIM_PROFILE", "null")
    assert data_source(Settings.from_env()).provider().config.effects == EffectStrengths.off()


def test_the_default_profile_is_realistic_and_the_label_says_so(monkeypatch):
    from momentum_dag.sources import data_source
    from momentum_dag.sources.synthetic import PROFILES

    for name in ("MOMENTUM_SIM_PROFILE", "MOMENTUM_SIM_EFFECT_SCALE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.sim.profile == "realistic"
    assert data_source(settings).provider().config.effects == PROFILES["realistic"]
    assert "realistic profile" in data_source(settings).label
