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
