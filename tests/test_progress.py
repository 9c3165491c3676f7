"""The terminal's step lines: counter, step time, elapsed, ETA and the memory high-water mark."""

import io
import logging
from types import SimpleNamespace

from momentum_dag.runtime.progress import StepProgress, peak_rss_gb


def _record(kind: str, step: str) -> logging.LogRecord:
    # the attributes of a DagsterEvent the handler reads
    event = SimpleNamespace(event_type_value=kind, step_key=step, step_failure_data=None)
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "", (), None)
    record.dagster_meta = {"dagster_event": event}
    return record


def test_one_line_per_finished_step_with_counter_eta_and_peak_memory():
    out = io.StringIO()
    progress = StepProgress(total=4, label="monthly", stream=out)
    for step in ("factor__dmom", "eval__dmom"):
        progress.emit(_record("STEP_START", step))
        progress.emit(_record("STEP_SUCCESS", step))
    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines] == [["[monthly", "1/4]"], ["[monthly", "2/4]"]]
    assert lines[0].split()[2] == "factor__dmom"
    peak = float(lines[1].split("peak ")[1].split()[0])
    assert 0 < peak <= peak_rss_gb() + 0.05  # the high-water mark only rises
    assert "eta" in lines[1] and "FAILED" not in lines[1]


def test_the_counter_is_shared_by_the_processes_of_a_run(tmp_path):
    """The multiprocess executor runs each step in its own process with its own handler: the counter is the
    run's, from a file they share."""
    out = io.StringIO()
    shared = tmp_path / "progress"
    first, second = (StepProgress(total=3, label="monthly", stream=out, shared=shared) for _ in range(2))
    for handler, step in ((first, "a"), (second, "b"), (first, "c")):
        handler.emit(_record("STEP_START", step))
        handler.emit(_record("STEP_SUCCESS", step))
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["1/3]", "2/3]", "3/3]"]
    assert not shared.exists()  # removed when the run's last step finished


def test_cores_are_the_process_cpu_seconds_over_the_step_s_wall_seconds(monkeypatch):
    """A step that kept two cores busy shows ~2, one that waited shows ~0: here 3 CPU seconds in 2 s."""
    clock = SimpleNamespace(time=lambda: 100.0, process_time=lambda: 10.0)
    monkeypatch.setattr("momentum_dag.runtime.progress.time", clock)
    out = io.StringIO()
    progress = StepProgress(total=2, label="monthly", stream=out)
    progress.emit(_record("STEP_START", "barra__exposures"))
    clock.time, clock.process_time = (lambda: 102.0), (lambda: 13.0)
    progress.emit(_record("STEP_SUCCESS", "barra__exposures"))
    line = out.getvalue().splitlines()[0]
    assert line.split()[3:5] == ["2.0", "s"] and line.endswith("cores 1.5")
