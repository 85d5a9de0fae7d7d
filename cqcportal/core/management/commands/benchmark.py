"""Benchmarks at national scale, each beside its floor measured in the same run (docs/benchmarks.md).

    python manage.py benchmark sweep [--sizes 10000 100000 1000000] [--due-share 0.1]
    python manage.py benchmark recompute [--locations 54000]
    python manage.py benchmark pages [--seconds 20] [--users 16]
    python manage.py benchmark report

Each part writes its figures into docs/benchmarks.json (the other parts' figures are kept), and ``report`` turns
that file into docs/benchmarks.md's results and the chart of page ratios.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cqcportal.benchmarks.pages import PAGES

RESULTS = Path(settings.BASE_DIR) / "docs" / "benchmarks.json"


def _load() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def _save(part: str, figures: dict, *, out: Path) -> None:
    data = json.loads(out.read_text()) if out.exists() else {}
    data[part] = figures
    out.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


class Command(BaseCommand):
    help = "Benchmark the sweep, the ratings recompute or the pages at national scale, beside their floors."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="part", required=True)
        sweep = sub.add_parser("sweep", help="the deadline sweep beside a single UPDATE")
        sweep.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
        sweep.add_argument("--due-share", type=float, default=0.1, help="share of open deadlines due (0.1)")
        sweep.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
        sweep.add_argument("--label", default="sweep", help="the key the figures are saved under (sweep)")
        sweep.add_argument("--out", type=Path, default=RESULTS)
        recompute = sub.add_parser("recompute", help="every location's ratings recomputed, beside an aggregate query")
        recompute.add_argument("--label", default="recompute", help="the key the figures are saved under")
        recompute.add_argument("--out", type=Path, default=RESULTS)
        report = sub.add_parser("report", help="write docs/benchmarks.md and its chart from docs/benchmarks.json")
        report.add_argument("--out", type=Path, default=RESULTS)
        pages = sub.add_parser("pages", help="seven pages beside the trivial view, on the national register")
        pages.add_argument("--seconds", type=int, default=20, help="seconds per measurement (20)")
        pages.add_argument("--users", type=int, default=16, help="concurrent users (16)")
        pages.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
        pages.add_argument("--rounds", type=int, default=2, help="times each page is measured (2)")
        pages.add_argument("--per-page", type=int, default=200, help="targets drawn for each page (200)")
        pages.add_argument("--pages", nargs="+", choices=PAGES, help="only these pages")
        pages.add_argument("--label", default="pages", help="the key the figures are saved under (pages)")
        pages.add_argument("--out", type=Path, default=RESULTS)

    def handle(self, *args, part, **options):
        if part == "sweep":
            self._sweep(**options)
        elif part == "pages":
            self._pages(**options)
        elif part == "recompute":
            self._recompute(**options)
        elif part == "report":
            from cqcportal.benchmarks import report

            report.write(options["out"], options["out"].with_suffix(".md"))
            self.stdout.write(f"wrote {options['out'].with_suffix('.md')} and its chart")
        else:  # pragma: no cover - argparse refuses other parts
            raise CommandError(f"unknown part {part}")

    def _sweep(self, *, sizes, due_share, keep, label, out, **_):
        from cqcportal.benchmarks import sweep
        from cqcportal.benchmarks.common import bench_database, machine
        from cqcportal.deadlines.sweep import deadlines_sweep

        with bench_database("bench_sweep", keep=keep) as name:
            self.stdout.write(f"benchmark database {name}")
            started = machine()  # before the run: its load average is the machine's, not the benchmark's own
            figures = sweep.run(sizes, due_share, sweep=deadlines_sweep, log=self._log)
            figures["machine"] = started
            figures["command"] = "python manage.py benchmark sweep " + " ".join(sys.argv[3:])
        _save(label, figures, out=out)
        self.stdout.write(f"saved under {label!r} in {out}")

    def _recompute(self, *, label, out, **_):
        from cqcportal.benchmarks import recompute
        from cqcportal.benchmarks.common import machine

        started = machine()
        figures = recompute.run(log=self._log)
        figures["machine"] = started
        figures["command"] = "python manage.py benchmark recompute " + " ".join(sys.argv[3:])
        _save(label, figures, out=out)
        self.stdout.write(f"saved under {label!r} in {out}")

    def _pages(self, *, seconds, users, workers, rounds, per_page, pages, label, out, **_):
        from cqcportal.benchmarks import pages as bench
        from cqcportal.benchmarks.common import machine

        if shutil.which("wrk") is None:
            raise CommandError("The page benchmark drives the portal with wrk: apt-get install wrk")
        started = machine()
        figures = bench.run(
            seconds=seconds, users=users, workers=workers, rounds=rounds, per_page=per_page, pages=pages, log=self._log
        )
        figures["machine"] = started
        figures["command"] = "python manage.py benchmark pages " + " ".join(sys.argv[3:])
        # {"pages": {"<page>": {"rps", "p50_ms", "p95_ms", "ratio", ...}}}, and how they were taken beside it.
        _save(label, figures.pop("pages"), out=out)
        _save(f"{label}_run", figures, out=out)
        self.stdout.write(f"saved under {label!r} and {label + '_run'!r} in {out}")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
