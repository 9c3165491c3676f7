"""A published figure edited in a temporary copy of the YAML changes the page (through Dagster, on the Ken
French factor-momentum page, which needs no market: linearmodels' offline sample), and the index counts
the stored comparison rows."""

from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterInstance

from momentum_dag.core.published import DEFAULT_PATH, load_published
from momentum_dag.names import PUBLISHED_COMPARISON
from momentum_dag.reports.fidelity import index_block
from momentum_dag.reports.html import render_index
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.settings import Settings, SourceConfig, StorageConfig
from momentum_dag.storage import Warehouse

pytestmark = pytest.mark.integration

KEYS = [AssetKey(["factor_momentum", "kenfrench_factor_momentum"]), AssetKey(["reports", "factor_momentum_kenfrench"])]
PAGE = "factor_momentum_kenfrench"


def _materialize(tmp_path: Path, published: Path | None) -> str:
    db = tmp_path / "w.duckdb"
    settings = Settings(
        storage=StorageConfig(duckdb_path=str(db), reports_dir=str(tmp_path / "reports")),
        source=SourceConfig(published_figures=None if published is None else str(published)),
    )
    defs = build_definitions(str(db), settings)
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=DagsterInstance.ephemeral(), asset_selection=KEYS).success
    return (tmp_path / "reports" / f"{PAGE}.html").read_text(encoding="utf-8")


def test_editing_one_published_figure_changes_the_page(tmp_path):
    figure = next(f for f in load_published()["ehsani_linnainmaa_2022"].figures if f.id == "ts_return")
    before = _materialize(tmp_path, None)
    assert "Paper | ours | why they differ" in before
    assert f"{figure.value:.2f} (t {figure.t_stat:.2f})" in before
    edited = figure.value + 5.55
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    study = next(s for s in document["studies"] if s["id"] == "ehsani_linnainmaa_2022")
    next(f for f in study["figures"] if f["id"] == "ts_return")["value"] = edited
    copy = tmp_path / "published_copy.yaml"
    copy.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    after = _materialize(tmp_path, copy)
    assert f"{edited:.2f} (t {figure.t_stat:.2f})" in after
    assert f"{figure.value:.2f} (t {figure.t_stat:.2f})" not in after
    # the stored rows are this page's, from the edited file, once
    stored = Warehouse.at(str(tmp_path / "w.duckdb")).table_or_none(PUBLISHED_COMPARISON)
    mine = stored[stored["page"] == PAGE].set_index("figure_id")
    assert len(mine) == len(study["figures"]) and mine.loc["ts_return", "paper"] == pytest.approx(edited)
    # the index lists the study with its counts
    rows = index_block(stored, str(copy))
    assert [(r["page"], r["figures"]) for r in rows] == [(PAGE, len(study["figures"]))]
    page = render_index(
        tmp_path / "reports",
        stored.head(0).assign(factor_name=[], rank_icir_annualized=[]).iloc[:, -2:],
        data_source="x",
        fidelity=rows,
    ).read_text(encoding="utf-8")
    assert "Agreement with the papers" in page and f'href="{PAGE}.html"' in page


FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "kenfrench"
KF_ALL = [
    *KEYS,
    AssetKey(["crashes", "kenfrench_crashes"]),
    AssetKey(["reports", "momentum_crashes_kenfrench"]),
]


@pytest.mark.slow
def test_ken_french_folder_pages_state_sample_factors_files_weights_and_daily_wml(tmp_path):
    db = tmp_path / "w.duckdb"
    settings = Settings(
        storage=StorageConfig(duckdb_path=str(db), reports_dir=str(tmp_path / "reports")),
        source=SourceConfig(kenfrench_dir=str(FIXTURE)),
    )
    defs = build_definitions(str(db), settings)
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=DagsterInstance.ephemeral(), asset_selection=KF_ALL).success
    fm = (tmp_path / "reports" / f"{PAGE}.html").read_text(encoding="utf-8")
    assert "Sample: 1964-07..1966-12 (30 months), the setting 1964-07..2019-12 clipped to the data" in fm
    assert "ff5_SMB, ff5_HML, ff5_RMW, ff5_CMA, ST_Rev, LT_Rev (6; E-L use 20)" in fm
    assert "PC factor momentum by eigenvalue group" in fm and "F-F_LT_Reversal_Factor_daily.CSV" in fm
    crash = (tmp_path / "reports" / "momentum_crashes_kenfrench.html").read_text(encoding="utf-8")
    assert "Sample: 1961-01..1966-12 (72 months), the setting 1927-01..2013-03 clipped to the data" in crash
    assert "the paper&#39;s ranges" in crash and "RE-FORMS EVERY DAY" in crash
    assert "dyn_oos the blend_var" in crash
    assert "not computed on this page" not in crash.split("GJR-GARCH gamma of daily WML")[1].split("</tr>")[0]
