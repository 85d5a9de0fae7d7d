"""Benchmark of the deadlines sweep: does the cost per due deadline stay flat as open deadlines grow?

    eval "$(bash scripts/services.sh env)"
    DJANGO_SETTINGS_MODULE=cqcportal.test_settings .venv/bin/python scripts/bench_sweep.py

For each number of open deadlines N (default 10,000 and 100,000) and due deadlines D (default 100 and 1,000)
it bulk-creates N open staff targets ("response target", owned by one inspector in a team with an operations
manager), of which D have their next action due now and the rest next act in 2030, then times
``deadlines_sweep(now=...)``, counts its SQL queries (CaptureQueriesContext) and EXPLAINs the sweep's select
query, which must use the partial index ``deadline_sweep``. Two steps are measured:

* ``reminder``: each due deadline sends its owner the 2-working-day reminder (one notification each);
* ``close``: each due deadline is past its due date, so the sweep closes it as missed, tells the owner and
  escalates to the team's operations manager (two notifications each).

It works in its own database, the DATABASE_URL's name with ``_bench`` appended, created and migrated with
Django's test-database utilities and dropped at the end (``--keep`` keeps it). Celery's broker is replaced by
kombu's in-memory transport, so the e-mails the sweep queues after each commit are published in-process and
never reach a Redis that a worker of another database may be consuming.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqcportal.test_settings")
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"  # never publish to a shared Redis (see the docstring)
os.environ["CELERY_RESULT_BACKEND"] = ""

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cqcportal import workdays  # noqa: E402
from cqcportal.accounts.models import StaffRole, Team, User  # noqa: E402
from cqcportal.audit.models import AuditEvent  # noqa: E402
from cqcportal.deadlines.models import Deadline, DeadlineState, DeadlineStep  # noqa: E402
from cqcportal.deadlines.rules import RULES, Kind, due_date_for, explain, working_days_before  # noqa: E402
from cqcportal.deadlines.services import deadlines_sweep  # noqa: E402
from cqcportal.notifications.models import Notification  # noqa: E402
from cqcportal.register.models import Location  # noqa: E402

LONDON = ZoneInfo("Europe/London")
RULE = RULES[Kind.RESPONSE_TARGET]  # binds staff: 10 working days, a reminder 2 working days before, escalates
NOW = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=LONDON)  # Wednesday 10 March 2027, 09:00
BATCH_SIZE = 200  # the sweep's default
SWEEP_SELECT = 'SELECT "deadlines_deadline"."id" AS "pk" FROM "deadlines_deadline" WHERE'


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def _template(start_date: datetime.date) -> dict:
    """The computed fields of a response target opened on ``start_date`` (worked out once, shared by every row)."""
    due = due_date_for(RULE, start_date)
    reminder_at = _at(working_days_before(due, RULE.reminder_days_before[0]), 8)
    return {
        "start_date": start_date,
        "original_due_date": due,
        "due_date": due,
        "due_at": workdays.deadline_end_of_day(due),
        "explanation": explain(RULE, start_date),
        "next_action_at": reminder_at,
    }


# Due now: the reminder of a target due Friday 12 March (sent Wednesday 10 March, 08:00); the close is still ahead.
DUE_REMINDER = _template(datetime.date(2027, 2, 26))
# Due now: a target due Friday 5 March, whose window closed at midnight; its reminder was never sent.
DUE_CLOSE = _template(datetime.date(2027, 2, 19))
DUE_CLOSE["next_action_at"] = _at(working_days_before(DUE_CLOSE["due_date"], 2), 8)
# Not due: opened in 2030, its first action (the reminder) years after NOW.
LATER = _template(datetime.date(2030, 1, 7))

assert DUE_REMINDER["due_date"] == datetime.date(2027, 3, 12) and DUE_REMINDER["next_action_at"] <= NOW
assert DUE_CLOSE["due_date"] == datetime.date(2027, 3, 5) and DUE_CLOSE["next_action_at"] <= NOW
assert LATER["next_action_at"] > NOW


def _people() -> tuple[User, Team]:
    manager = User.objects.create_user(email="ops.bench@regulator.example", full_name="Olu Ops", kind=User.Kind.STAFF)
    manager.groups.set(Group.objects.filter(name=str(StaffRole.OPERATIONS_MANAGER)))
    team = Team.objects.create(name="Bench team", operations_manager=manager)
    owner = User.objects.create_user(
        email="inspector.bench@regulator.example", full_name="Isla Inspector", kind=User.Kind.STAFF, team=team
    )
    return owner, team


def _reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {DeadlineStep._meta.db_table}, {Deadline._meta.db_table}, "
            f"{Notification._meta.db_table}, {AuditEvent._meta.db_table} RESTART IDENTITY CASCADE"
        )


def _create(n: int, d: int, due: dict, owner: User, team: Team) -> float:
    content_type = ContentType.objects.get_for_model(Location)
    common = {
        "kind": RULE.kind.value,
        "binds": RULE.binds.value,
        "unit": RULE.unit.value,
        "rule_days": RULE.days,
        "content_type": content_type,
        "owner": owner,
        "team": team,
    }
    started = time.perf_counter()
    rows = (
        Deadline(object_id=str(i), case_description=f"Bench case {i}", **common, **(due if i < d else LATER))
        for i in range(n)
    )
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            Deadline.objects.bulk_create(batch)
            batch = []
    if batch:
        Deadline.objects.bulk_create(batch)
    # A long-lived table is vacuumed and analysed by autovacuum; do it now so the planner sees this one as it is.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Deadline._meta.db_table}")
    return time.perf_counter() - started


def _sweep_select_queryset():
    # The same query as the loop in deadlines_sweep() (first batch, nothing failed yet).
    return (
        Deadline.objects.filter(state=DeadlineState.OPEN, next_action_at__lte=NOW)
        .exclude(pk__in=[])
        .order_by("next_action_at", "pk")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )


def _explain(sql: str, *, analyze: bool) -> str:
    options = "(ANALYZE, BUFFERS, COSTS OFF)" if analyze else "(COSTS OFF)"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {options} {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _run(n: int, d: int, step: str, owner: User, team: Team) -> dict:
    _reset()
    create_s = _create(n, d, DUE_REMINDER if step == "reminder" else DUE_CLOSE, owner, team)
    qs = _sweep_select_queryset()
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        select_sql = cursor.mogrify(sql, params)
    plan = _explain(select_sql, analyze=True)

    # Django keeps the last 9,000 queries by default; the close step with D=1,000 runs more than twice that.
    connection.queries_limit = 1_000_000
    connection.queries_log = collections.deque(maxlen=connection.queries_limit)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = deadlines_sweep(now=NOW, batch_size=BATCH_SIZE)
        wall_s = time.perf_counter() - started
    queries = captured.captured_queries
    selects = [q["sql"] for q in queries if q["sql"].startswith(SWEEP_SELECT)]
    # Once per sweep, whatever D: the batch selects above and the read of the extra bank holidays.
    fixed = len(selects) + sum(1 for q in queries if '"deadlines_extraholiday"' in q["sql"])
    # The plan of the sweep's own first select, as it ran (not analysed: its rows are no longer due).
    sweep_plan = _explain(selects[0], analyze=False)

    expected_notes = d if step == "reminder" else 2 * d
    assert result.processed == d and not result.failed, result
    assert result.notifications == expected_notes, result
    assert Notification.objects.count() == expected_notes
    assert Deadline.objects.filter(state=DeadlineState.OPEN, next_action_at__lte=NOW).count() == 0
    for text in (plan, sweep_plan):
        assert "deadline_sweep" in text and "Seq Scan" not in text, text

    db_ms = sum(float(q["time"]) for q in queries) * 1000
    return {
        "n": n,
        "d": d,
        "step": step,
        "create_s": create_s,
        "wall_s": wall_s,
        "queries": len(queries),
        "select_queries": len(selects),
        "fixed_queries": fixed,
        "per_item_queries": (len(queries) - fixed) / d,
        "ms_per_item": wall_s * 1000 / d,
        "db_ms_per_item": db_ms / d,
        "plan": plan,
        "sweep_plan": sweep_plan,
        "select_ms": float(plan.rsplit("Execution Time: ", 1)[1].split(" ")[0]),
    }


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line))
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg}; "
        f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="open deadlines N")
    parser.add_argument("--due", type=int, nargs="+", default=[100, 1_000], help="due deadlines D")
    parser.add_argument("--steps", nargs="+", default=["reminder", "close"], choices=["reminder", "close"])
    parser.add_argument("--keep", action="store_true", help="keep the _bench database afterwards")
    parser.add_argument("--plans", action="store_true", help="print every EXPLAIN, not only the largest run's")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("bench_sweep: DATABASE_URL must name a PostgreSQL database.")
    name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"{name}_bench"
    print(f"Creating and migrating {name}_bench …", flush=True)
    original = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(_machine(), flush=True)
        owner, team = _people()
        results = []
        for step in args.steps:
            for n in args.sizes:
                for d in args.due:
                    res = _run(n, d, step, owner, team)
                    results.append(res)
                    print(
                        f"{step:8} N={n:>7,} D={d:>5,}: create {res['create_s']:6.1f} s | sweep {res['wall_s']:6.2f} s,"
                        f" {res['queries']:6,} queries ({res['fixed_queries']} per sweep,"
                        f" {res['per_item_queries']:.1f} per item), {res['ms_per_item']:.2f} ms/item"
                        f" (DB {res['db_ms_per_item']:.2f} ms), select {res['select_ms']:.3f} ms",
                        flush=True,
                    )
                    if args.plans:
                        print(res["plan"], "\n", res["sweep_plan"], sep="", flush=True)

        print(
            "\n| step | open deadlines N | due D | sweep wall time (s) | SQL queries | queries per due item |"
            " ms per due item | DB ms per due item | select (EXPLAIN ANALYZE, ms) |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in results:
            print(
                f"| {r['step']} | {r['n']:,} | {r['d']:,} | {r['wall_s']:.2f} | {r['queries']:,} |"
                f" {r['per_item_queries']:.1f} (+{r['fixed_queries']} per sweep) | {r['ms_per_item']:.2f} |"
                f" {r['db_ms_per_item']:.2f} | {r['select_ms']:.3f} |"
            )
        for step in args.steps:
            for d in args.due:
                per_item = [r["ms_per_item"] for r in results if r["step"] == step and r["d"] == d]
                if len(per_item) > 1:
                    print(
                        f"{step}, D={d}: ms per item from smallest to largest N: "
                        f"{' → '.join(f'{v:.2f}' for v in per_item)} (spread {statistics.pstdev(per_item):.2f})"
                    )
        largest = max(results, key=lambda r: (r["n"], r["d"]))
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the sweep's select, N={largest['n']:,} D={largest['d']:,}:")
        print(largest["plan"])
        print("\nEXPLAIN of the select the sweep ran (captured):")
        print(largest["sweep_plan"])
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=args.keep)


if __name__ == "__main__":
    main()
