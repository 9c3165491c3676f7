"""What a terminal shows of a run: one line per finished step with a counter, elapsed time and ETA; the
whole Dagster event stream goes to a log file instead of the screen.

``progress_logger`` is a Dagster logger (configured by the CLI through the run config): it prints
``[12/98] factors/dmom  3.1 s  elapsed 0:41  eta 2:55  peak 1.4 GB  cores 1.3`` when a step ends (peak: the
process's resident-memory high-water mark so far, so the step that raises it is the one to look at; cores:
the process's CPU seconds over the step's wall seconds, so a step that leaves a core idle shows ~1 (worker
processes a step starts, e.g. joblib's, are not counted)),
the full error when a step fails, and writes every event (DEBUG included) to ``log_file``. Runs launched
from the UI leave it unconfigured (``total`` 0): it then prints nothing.
"""

from __future__ import annotations

import fcntl
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

from dagster import Field, logger

FORMAT = "%(asctime)s %(levelname)s %(message)s"


def peak_rss_gb() -> float:
    """This process's resident-memory high-water mark in GB (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


class StepProgress(logging.Handler):
    """Prints a line when a step succeeds or fails; ETA from the mean time per finished step."""

    def __init__(self, total: int, label: str, stream=None, shared: Path | None = None):
        """``shared``: a file counting the run's finished steps across its processes (the multiprocess and
        dask executors run each step in its own process, with its own handler); made by the first."""
        super().__init__(level=logging.DEBUG)
        self.total, self.label, self.stream = total, label, stream or sys.stdout
        self.done, self.began, self.started, self.cpu = 0, time.time(), {}, {}
        self.shared = shared
        if shared is not None:
            try:
                with open(shared, "x") as handle:
                    handle.write(f"{self.began}\n")
            except FileExistsError:
                self.began = float(shared.read_text().splitlines()[0] or self.began)

    def _count(self) -> int:
        """This step's number among the run's finished steps."""
        if self.shared is None:
            self.done += 1
            return self.done
        with open(self.shared, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write("x\n")
            handle.flush()
            handle.seek(0)
            done = len(handle.read().splitlines()) - 1
        if done >= self.total:
            self.shared.unlink(missing_ok=True)
        return done

    def emit(self, record: logging.LogRecord) -> None:
        meta = record.__dict__.get("dagster_meta") or {}
        event = meta.get("dagster_event")
        if event is None or not event.step_key:
            return
        kind = event.event_type_value
        now = time.time()
        if kind == "STEP_START":
            self.started[event.step_key] = now
            self.cpu[event.step_key] = time.process_time()
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            self.done = self._count()
            took = now - self.started.get(event.step_key, now)
            cpu = time.process_time()
            cores = (cpu - self.cpu.get(event.step_key, cpu)) / took if took else 0.0
            elapsed = now - self.began
            eta = elapsed / max(self.done, 1) * max(self.total - self.done, 0)
            status = "" if kind == "STEP_SUCCESS" else "  FAILED"
            line = (
                f"[{self.label} {self.done}/{self.total}] {event.step_key:<48} {took:6.1f} s   "
                f"elapsed {_clock(elapsed)}  eta {_clock(eta)}  peak {peak_rss_gb():.1f} GB  cores {cores:.1f}{status}"
            )
            print(line, file=self.stream, flush=True)
            if kind == "STEP_FAILURE" and event.step_failure_data and event.step_failure_data.error:
                print(event.step_failure_data.error.to_string(), file=self.stream, flush=True)


@logger(
    {
        "total": Field(int, default_value=0, description="Steps in the run (0: print nothing)."),
        "label": Field(str, default_value="", description="Shown before the counter."),
        "log_file": Field(str, default_value="", description="File that receives every event ('' = none)."),
    },
    description="One line per finished step (counter, elapsed, ETA); every event to a log file.",
)
def progress_logger(init_context) -> logging.Logger:
    config = init_context.logger_config
    log = logging.Logger("momentum_dag.runtime.progress", level=logging.DEBUG)
    if config["total"]:
        run_id = init_context.run_id
        shared = Path(tempfile.gettempdir()) / f"momentum_dag_progress_{run_id}" if run_id else None
        log.addHandler(StepProgress(config["total"], config["label"], shared=shared))
    if config["log_file"]:
        Path(config["log_file"]).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(config["log_file"])
        handler.setFormatter(logging.Formatter(FORMAT))
        log.addHandler(handler)
    return log
