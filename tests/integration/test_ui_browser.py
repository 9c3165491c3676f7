"""The Dagster UI as a researcher uses it, in a real browser: Debian's Chromium driven by Playwright.

The history is the last 36 complete months (the UI plots the latest 120 partitions of an asset; D-MOM
needs stocks with more than 24 monthly returns). A small warehouse (120 stocks, raw to marts for the
first 24 months) is built through the CLI, so the CLI's run
and backfill exist; then ``dagster dev`` serves it and the test opens the asset graph, checks the CLI's
run on its job's page (with the code location's origin and the job's snapshot: Re-execute without a
warning), launches one partition of ``raw/daily_bars`` from its page and waits for the run's success,
launches a backfill of every monthly asset (``tag:frequency=monthly``) over the last 12 months from the
asset graph and waits for it to complete, then opens the partitions and the metadata plots of
``factors/dmom`` and ``eval/dmom``.

Screenshots go to ``MOMENTUM_UI_SCREENSHOTS`` (default: ``momentum_ui_screenshots`` in the temp folder),
printed when the test starts. No browser is downloaded: Playwright's driver runs ``/usr/bin/chromium``
(``.ci/run`` installs Debian's ``chromium`` when it is missing); without it the test is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance
from playwright import sync_api

from momentum_dag.names import GROUPS
from momentum_dag.runtime.launch import LOCATION_NAME

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
JOB = f"/locations/{LOCATION_NAME}/jobs/monthly_job"
TIMEOUT_MS = 60_000


def _months() -> list[str]:
    """The last 36 complete months, as monthly partition keys."""
    last = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    return [str(m.to_timestamp().date()) for m in pd.period_range(end=pd.Period(last, "M"), periods=36, freq="M")]


MONTHS = _months()
CLI_MONTHS, BACKFILL_MONTHS = MONTHS[:24], MONTHS[24:]

if not Path(CHROMIUM).exists():
    pytest.skip(
        "chromium not found (.ci/run installs Debian's chromium: apt-get install chromium)", allow_module_level=True
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def _wait(what: str, predicate, timeout: float, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def ui(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("ui")
    shots = Path(os.environ.get("MOMENTUM_UI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "momentum_ui_screenshots")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\n[ui] screenshots: {shots}")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "MOMENTUM_DUCKDB_PATH": str(root / "ui.duckdb"),
        "MOMENTUM_REPORTS_DIR": str(root / "reports"),
        "MOMENTUM_HISTORY_START": MONTHS[0],
        "MOMENTUM_SIM_STOCKS": "120",
        "MOMENTUM_SIM_INDUSTRIES": "8",
        "MOMENTUM_SIM_PROFILE": "strong",
        "MOMENTUM_DMOM_MIN_MONTHS": "3",  # D-MOM values within the 12 months backfilled
    }
    # the warehouse through the CLI: its run and backfill are what the job's page must show
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "momentum_dag.runtime.cli",
            "backfill",
            "--start",
            CLI_MONTHS[0],
            "--end",
            CLI_MONTHS[-1],
            "--only",
            "raw,staging,marts",
            "--no-weekly",
            "--no-reports",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    launched = re.search(r"\(monthly_job backfill (\w+), run (\w{8})\)", cli.stdout)
    assert launched, cli.stdout

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(root / "dagster_dev.log", "w")  # noqa: SIM115 (closed after the server stops)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(REPO / "workspace.yaml"), "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def location_loaded():
        try:
            data = _graphql(
                base,
                "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                "locationOrLoadError { __typename } } } } }",
            )
        except OSError:
            return False
        entries = data["workspaceOrError"]["locationEntries"]
        return any(
            e["name"] == LOCATION_NAME
            and e["loadStatus"] == "LOADED"
            and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
            for e in entries
        )

    try:
        _wait("dagster dev to load the code location", location_loaded, 180)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1500, "height": 950}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield {
                "base": base,
                "page": page,
                "shots": shots,
                "home": home,
                "cli": cli.stdout,
                "cli_backfill": launched.group(1),
                "cli_run": launched.group(2),
                "server_log": root / "dagster_dev.log",
            }
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # the daemon can take longer to stop: its group goes at once
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


def open_page(ui, path: str) -> None:
    page = ui["page"]
    page.goto(ui["base"] + path, wait_until="domcontentloaded")
    skip = page.get_by_role("button", name="Skip")  # "Join the Dagster community", once per browser
    try:
        skip.wait_for(timeout=4_000)
        skip.click()
    except sync_api.TimeoutError:
        pass


def shot(ui, name: str) -> None:
    ui["page"].screenshot(path=str(ui["shots"] / f"{name}.png"))


def test_the_asset_graph_shows_one_group_per_key_prefix(ui):
    open_page(ui, "/asset-groups")
    page = ui["page"]
    page.get_by_text("Materialize all…").wait_for()
    page.get_by_role("button", name=GROUPS[-1]).first.wait_for()
    shot(ui, "01_asset_graph")
    sidebar = page.locator("button").all_inner_texts()
    assert {g for g in GROUPS if any(t.split("\n")[0] == g for t in sidebar)} == set(GROUPS)
    assert not any(t.split("\n")[0] in ("models", "evaluation") for t in sidebar)


def test_the_cli_run_belongs_to_its_job(ui):
    page = ui["page"]
    open_page(ui, f"{JOB}/runs")
    page.get_by_text(ui["cli_run"]).first.wait_for()
    shot(ui, "02_monthly_job_runs")
    open_page(ui, f"{JOB}/partitions")
    page.get_by_text(ui["cli_backfill"]).first.wait_for()  # the backfill history of the job
    shot(ui, "03_monthly_job_partitions")
    open_page(ui, "/overview/activity/timeline")
    page.get_by_text("monthly_job").first.wait_for()
    shot(ui, "04_timeline")
    # what Re-execute compares: the run's code location and the job snapshot it was subset from
    runs = _graphql(
        ui["base"],
        '{ runsOrError(filter: {pipelineName: "monthly_job"}) { ... on Runs { results { '
        "runId status repositoryOrigin { repositoryLocationName repositoryName } "
        "parentPipelineSnapshotId tags { key value } } } } }",
    )["runsOrError"]["results"]
    (run,) = [r for r in runs if r["runId"].startswith(ui["cli_run"])]
    job = _graphql(
        ui["base"],
        f'{{ pipelineOrError(params: {{repositoryLocationName: "{LOCATION_NAME}", '
        'repositoryName: "__repository__", pipelineName: "monthly_job"}) '
        "{ ... on Pipeline { pipelineSnapshotId } } }",
    )["pipelineOrError"]
    assert run["status"] == "SUCCESS"
    assert run["repositoryOrigin"] == {"repositoryLocationName": LOCATION_NAME, "repositoryName": "__repository__"}
    assert run["parentPipelineSnapshotId"] == job["pipelineSnapshotId"]
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/backfill"] == ui["cli_backfill"]
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        CLI_MONTHS[0],
        CLI_MONTHS[-1],
    )
    backfill = _graphql(
        ui["base"],
        f'{{ partitionBackfillOrError(backfillId: "{ui["cli_backfill"]}") '
        "{ ... on PartitionBackfill { status numPartitions } } }",
    )
    assert backfill["partitionBackfillOrError"] == {"status": "COMPLETED_SUCCESS", "numPartitions": len(CLI_MONTHS)}


def test_one_partition_launched_from_the_ui_succeeds(ui):
    page = ui["page"]
    open_page(ui, "/assets/raw/daily_bars")
    page.get_by_role("button", name="Materialize…").first.click()
    dialog = page.locator("[role=dialog]").first
    dialog.get_by_text("Show all partitions").click()
    field = dialog.locator("input[type=text]").first
    field.fill(CLI_MONTHS[5])
    field.press("Enter")
    dialog.get_by_text("1 partition", exact=True).wait_for()
    assert "Additional assets" not in dialog.inner_text()  # raw tables are selectable one at a time
    shot(ui, "05_launch_one_partition")
    dialog.get_by_role("button", name="Launch 1 run").click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}")).first
    toast.wait_for()
    prefix = toast.inner_text().split()[-1]
    runs = _graphql(ui["base"], "{ runsOrError(limit: 20) { ... on Runs { results { runId } } } }")
    (run_id,) = [r["runId"] for r in runs["runsOrError"]["results"] if r["runId"].startswith(prefix)]

    def status():
        run = _graphql(ui["base"], f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ status }} }} }}')["runOrError"]
        return run["status"] if run["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None

    assert _wait(f"run {run_id}", status, 180) == "SUCCESS", _why_it_failed(ui, run_id)
    open_page(ui, f"/runs/{run_id}")
    page.get_by_text("Success").first.wait_for()
    shot(ui, "06_one_partition_run")
    with _instance(ui) as instance:
        for table in ("daily_bars", "market_daily"):  # the one selected, and one written with it
            (record,) = [
                r
                for r in instance.fetch_materializations(AssetKey(["raw", table]), limit=100).records
                if r.run_id == run_id
            ]
            assert record.partition_key == CLI_MONTHS[5]
            assert record.asset_materialization.metadata["rows"].value > 0


def _instance(ui):
    return DagsterInstance.from_config(str(ui["home"]))


def _why_it_failed(ui, run_id: str) -> str:
    """A failed run's error events (with their errors' text) and the tail of the server's log: what a
    reader of CI's output needs, since the run's storage goes with the temporary folder."""
    lines = []
    with _instance(ui) as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            error = None
            if event is not None and event.is_step_failure:
                error = event.step_failure_data.error
            elif event is not None and event.is_run_failure:
                error = getattr(event.event_specific_data, "error", None)
            if error is not None or entry.level >= 40:
                lines.append(f"{entry.step_key or 'run'}: {entry.message}")
                if error is not None:
                    lines.append(error.to_string())
    lines.append("--- dagster dev (last 60 lines) ---")
    lines += ui["server_log"].read_text(errors="replace").splitlines()[-60:]
    return "\n".join(lines)


def _backfill_failures(ui, backfill_id: str) -> str:
    runs = _graphql(
        ui["base"],
        f'{{ runsOrError(filter: {{tags: [{{key: "dagster/backfill", value: "{backfill_id}"}}]}}) '
        "{ ... on Runs { results { runId status } } } }",
    )["runsOrError"]["results"]
    return "\n\n".join(_why_it_failed(ui, r["runId"]) for r in runs if r["status"] != "SUCCESS") or str(runs)


def test_a_twelve_month_backfill_of_every_monthly_asset_from_the_ui(ui):
    from dagster import AssetSelection

    from momentum_dag.runtime.definitions import build_definitions

    page = ui["page"]
    open_page(ui, "/asset-groups~tag%3A%22frequency%22%3D%22monthly%22/")
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.locator("[role=dialog]").first
    monthly = AssetSelection.tag("frequency", "monthly").resolve(build_definitions().resolve_asset_graph())
    dialog.get_by_text(f"Launch runs to materialize {len(monthly)} assets").wait_for()
    dialog.get_by_text("Show all partitions").click()
    field = dialog.locator("input[type=text]").first
    field.fill(f"[{BACKFILL_MONTHS[0]}...{BACKFILL_MONTHS[-1]}]")
    field.press("Enter")
    dialog.get_by_text("12 partitions", exact=True).wait_for()
    shot(ui, "07_launch_backfill")
    dialog.get_by_role("button", name="Launch backfill").click()
    created = page.get_by_text(re.compile(r"Created backfill \w+")).first
    created.wait_for()
    backfill_id = created.inner_text().split()[-1]

    def finished():
        data = _graphql(
            ui["base"],
            f'{{ partitionBackfillOrError(backfillId: "{backfill_id}") {{ ... on PartitionBackfill {{ status }} }} }}',
        )["partitionBackfillOrError"]
        return data["status"] if data["status"] not in ("REQUESTED", "CANCELING", "FAILING") else None

    assert _wait(f"backfill {backfill_id}", finished, 240, every=5) == "COMPLETED_SUCCESS", _backfill_failures(
        ui, backfill_id
    )
    open_page(ui, f"/runs/b/{backfill_id}")
    page.get_by_text(backfill_id).first.wait_for()
    shot(ui, "08_backfill")
    with _instance(ui) as instance:
        data = instance.get_backfill(backfill_id).asset_backfill_data
        assert data.target_subset.asset_keys == set(monthly)  # every monthly asset, none left out
        assert data.materialized_subset == data.target_subset
        records = instance.fetch_materializations(AssetKey(["factors", "mom_12_2"]), limit=100).records
        coverage = {r.partition_key: r.asset_materialization.metadata["coverage"].value for r in records}
        backfilled = [coverage[k] for k in BACKFILL_MONTHS]
        assert all(0.5 < v <= 1 for v in backfilled)
        assert len(set(backfilled)) > 1  # each partition its own figure, not one copied to every month
        dmom = {
            r.partition_key: r.asset_materialization.metadata
            for r in instance.fetch_materializations(AssetKey(["eval", "dmom"]), limit=100).records
        }
        rank_ics = [dmom[k]["rank_ic"].value for k in BACKFILL_MONTHS[6:] if "rank_ic" in dmom.get(k, {})]
        factor = {
            r.partition_key: r.asset_materialization.metadata
            for r in instance.fetch_materializations(AssetKey(["factors", "dmom"]), limit=100).records
        }
        empty = [k for k, meta in factor.items() if meta["rows"].value == 0]
        # a warm-up month says so, instead of a bare 0; figures are rounded for reading
        assert all(factor[k]["status"].value == "warm-up (3 training months)" for k in empty)
        assert all(len(repr(meta["coverage"].value)) <= 7 for meta in factor.values() if "coverage" in meta)
        assert len(rank_ics) >= 4 and all(-1 <= v <= 1 for v in rank_ics)  # D-MOM evaluated, month by month


def test_partitions_and_plots_of_dmom(ui):
    page = ui["page"]
    open_page(ui, f"/assets/factors/dmom?view=partitions&partition={BACKFILL_MONTHS[-1]}")
    page.get_by_text("Materialized (12)").first.wait_for()  # the 12 months backfilled
    page.get_by_text("coverage", exact=True).first.wait_for()  # the selected partition's own figures
    shot(ui, "09_factors_dmom_partitions")
    open_page(ui, f"/assets/factors/dmom?view=partitions&partition={BACKFILL_MONTHS[0]}")
    page.get_by_text("Materialized (12)").first.wait_for()
    time.sleep(1)
    shot(ui, "09b_factors_dmom_first_backfilled_month")
    for asset, name, metric, figures in (
        ("factors/dmom", "10_factors_dmom_plots", "coverage", 3),
        ("eval/dmom", "11_eval_dmom_plots", "rank_ic", 4),
    ):
        open_page(ui, f"/assets/{asset}")
        page.get_by_role("button", name="Plots").click()
        page.get_by_text(metric, exact=True).first.wait_for()  # a plot per numeric figure, by partition
        page.locator("canvas").nth(figures - 1).wait_for()  # rows, entities, coverage / rows, ic, rank_ic, ...
        time.sleep(1)  # let the charts draw
        shot(ui, name)
        assert page.get_by_role("button", name="Partitions").count() == 1  # plotted by partition


def test_a_ui_re_execution_of_the_cli_run_gets_its_weeks_from_the_sensor(ui):
    """Re-execute the CLI's run from its page: the new run carries the re-execution's launched_by tag, not
    the CLI's, and the weekly sensor (turned on first, as README says) requests the weeks of its months.
    Last in the module: the weekly run it launches may still hold the warehouse when the test ends."""
    from momentum_dag.partitions import Partitions
    from momentum_dag.runtime.jobs import LAUNCHED_BY, SOURCE_TAG

    started = _graphql(
        ui["base"],
        "mutation { startSensor(sensorSelector: {repositoryLocationName: "
        f'"{LOCATION_NAME}", repositoryName: "__repository__", sensorName: "weekly_after_month_sensor"}})'
        " { __typename } }",
    )
    assert started["startSensor"]["__typename"] == "Sensor", started
    runs = _graphql(ui["base"], "{ runsOrError(limit: 50) { ... on Runs { results { runId } } } }")
    (cli_run,) = [r["runId"] for r in runs["runsOrError"]["results"] if r["runId"].startswith(ui["cli_run"])]
    page = ui["page"]
    open_page(ui, f"/runs/{cli_run}")
    page.get_by_role("button", name=re.compile(r"^Re-execute")).first.click()
    confirm = page.get_by_role("button", name="Confirm")  # "Re-execution within backfill": the CLI's backfill
    confirm.wait_for()
    shot(ui, "12_re_execute_the_cli_run")
    confirm.click()

    def child():
        found = _graphql(
            ui["base"],
            f'{{ runsOrError(filter: {{tags: [{{key: "dagster/parent_run_id", value: "{cli_run}"}}]}}) '
            "{ ... on Runs { results { runId status tags { key value } } } } }",
        )["runsOrError"]["results"]
        return found[0] if found and found[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None

    run = _wait("the re-execution of the CLI's run", child, 300)
    assert run["status"] == "SUCCESS", _why_it_failed(ui, run["runId"])
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags[LAUNCHED_BY] != SOURCE_TAG[LAUNCHED_BY] and tags[LAUNCHED_BY].startswith("dagster re-execution")
    weeks = Partitions.starting(date.fromisoformat(MONTHS[0])).weeks_closing_in(CLI_MONTHS[0], CLI_MONTHS[-1])

    def requested():
        found = _graphql(
            ui["base"],
            '{ runsOrError(filter: {pipelineName: "weekly_job"}) '
            "{ ... on Runs { results { runId tags { key value } } } } }",
        )["runsOrError"]["results"]
        for weekly in found:
            wtags = {t["key"]: t["value"] for t in weekly["tags"]}
            if run["runId"] in wtags.get("dagster/run_key", ""):  # the sensor's key names the monthly run
                return wtags
        return None

    weekly = _wait("the weekly sensor's run request", requested, 240, every=5)
    assert (weekly["dagster/asset_partition_range_start"], weekly["dagster/asset_partition_range_end"]) == (
        weeks[0],
        weeks[-1],
    )
    open_page(ui, "/runs")
    page.get_by_text("weekly_job").first.wait_for()
    shot(ui, "13_weekly_run_requested_by_the_sensor")
