"""Real services for the scale-out tests, started and stopped by fixtures: a PostgreSQL server (the
``pgserver`` wheel: no root, a Unix socket in a temp folder), an S3-compatible server (moto in server mode
on 127.0.0.1) and a dask.distributed LocalCluster (in its own process, with the environment of the runs it
serves: its workers execute the steps and read the same ``MOMENTUM_*`` settings)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

S3_KEY, S3_SECRET, S3_REGION = "testing-key", "testing-secret", "us-east-1"

DASK_CLUSTER = """
import sys
from dask.distributed import LocalCluster
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=int(sys.argv[1]),
    dashboard_address=None,
)
print(cluster.scheduler_address, flush=True)
sys.stdin.readline()
cluster.close()
"""


@dataclass(frozen=True)
class Postgres:
    socket_dir: Path

    def libpq(self, database: str) -> str:
        return f"host={self.socket_dir} dbname={database} user=postgres"

    def url(self, database: str) -> str:
        # psycopg2 (dagster-postgres' driver): SQLAlchemy 2.1's default for postgresql:// is psycopg 3
        return f"postgresql+psycopg2://postgres:@/{database}?host={self.socket_dir}"


@contextmanager
def postgres(databases: tuple[str, ...]) -> Iterator[Postgres]:
    """A PostgreSQL server with ``databases`` created; stopped and its files removed on exit. Its folder is
    a new one in the temp folder that other users can traverse: run as root, pgserver runs the server as
    its own user (pytest's temp folders are root's alone)."""
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="momentum_pg_"))
    folder.chmod(0o755)
    server = pgserver.get_server(str(folder / "data"), cleanup_mode="delete")
    try:
        for database in databases:
            server.psql(f"create database {database};")
        yield Postgres(folder / "data")
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def s3_server(bucket: str) -> Iterator[str]:
    """moto's S3-compatible server on 127.0.0.1 with ``bucket``; yields its ``host:port``."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name=S3_REGION,
        )
        for _ in range(600):
            try:
                client.create_bucket(Bucket=bucket)
                break
            except Exception:  # not listening yet
                time.sleep(0.1)
        else:
            raise RuntimeError("moto_server did not start")
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def s3_objects(endpoint: str, bucket: str) -> list[str]:
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@contextmanager
def dask_cluster(env: dict[str, str], port: int) -> Iterator[str]:
    """A LocalCluster (2 worker processes, 1 thread each) on ``port``, in a process with ``env``; yields its
    scheduler's address."""
    process = subprocess.Popen(
        [sys.executable, "-c", DASK_CLUSTER, str(port)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        address = process.stdout.readline().strip()
        assert address.startswith("tcp://"), address
        yield address
    finally:
        process.stdin.write("\n")
        process.stdin.flush()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
