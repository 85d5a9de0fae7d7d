"""What every benchmark needs: a throwaway database of its own, the machine it ran on, and timing."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import django
from django.db import connection


@contextlib.contextmanager
def bench_database(suffix: str, *, keep: bool = False) -> Iterator[str]:
    """Create and migrate ``<DATABASE_URL's name>_<suffix>`` and point the connection at it for the block.

    Django's test-database utilities do the work, so the database is exactly what ``migrate`` makes; it is
    dropped afterwards unless ``keep``.
    """
    if connection.vendor != "postgresql":
        raise SystemExit(
            'The benchmarks need PostgreSQL: set DATABASE_URL (e.g. eval "$(bash scripts/services.sh env)").'
        )
    name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{name}_{suffix}"
    original = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection.settings_dict["NAME"]
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=keep)


def machine() -> dict:
    """The machine, the software and how busy the machine was, as the report prints them."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else "MemTotal: 0 kB"
    mem_kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "memory_gib": round(mem_kb / 1024 / 1024),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds ``fn`` took on the wall clock, and what it returned."""
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median(values: list[float]) -> float:
    return statistics.median(values)


def vacuum_analyze(*tables: str) -> None:
    """What autovacuum does to a table in use, done now, so that plans and dead rows do not depend on timing."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
