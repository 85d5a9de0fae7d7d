"""The deadline sweep at 10k, 100k and 1M open deadlines, beside the single UPDATE that is its floor.

The morning sweep is the heavy one: reminders go out at 08:00, and a provider window or staff target has two or
three steps over about fifteen working days, so on a working morning roughly one open deadline in ten has a step
due at once. The benchmark builds N open deadlines of which a fixed share (10% by default) are due at
``NOW`` (Wednesday 10 March 2027, 09:00 London), in the mix the portal has:

* 40% provider information request windows whose 5-working-day reminder is due (an e-mail to each registered
  person bound: the location's registered manager and the nominated individual, and any delegate);
* 20% staff response targets whose 2-working-day reminder is due (an e-mail to the inspector who owns it);
* 20% provider windows that closed at midnight unanswered, their reminders already sent: the flow's handler
  closes the information request "no response" (audited), the deadline is missed (audited), and the registered
  persons and the inspector are told;
* 20% staff targets missed at midnight: missed (audited), the owner told, and escalated to the team's operations
  manager.

The rest are open with their next step years ahead. Every due row is real: its case exists, its people exist,
its dates are worked out by the rules the portal uses, and the steps already done are in the ledger.

The floor is one ``UPDATE`` that leaves the deadline table as the sweep leaves it (closed rows missed with their
time, open rows' next action moved on) over the same due rows, through the same partial index. It is run three
times, each in a transaction rolled back (and the table vacuumed after), and the median taken. The sweep also
writes the ledger, the notifications, the audit events and the flows' own transitions, and decides per row what
is due; the ratio says what all of that costs beside the least work any sweep must do.
"""

from __future__ import annotations

import datetime
import itertools
import random

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from assessments.models import InformationRequest, InformationRequestState
from cqcportal import workdays
from cqcportal.accounts.models import Delegation, ProviderMembership, ProviderRole, StaffRole, Team, User
from cqcportal.audit.models import AuditEvent
from cqcportal.benchmarks.common import median, timed, vacuum_analyze
from cqcportal.celery import app as celery_app
from cqcportal.deadlines.models import Deadline, DeadlineState, DeadlineStep
from cqcportal.deadlines.rules import LONDON, RULES, Kind, due_date_for, explain, planned_steps
from cqcportal.notifications.models import Notification
from cqcportal.register.models import Location, Provider, Region

NOW = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=LONDON)  # Wednesday 10 March 2027, 09:00 London
TODAY = NOW.date()
WINDOW = RULES[Kind.PROVIDER_INFORMATION_REQUEST]  # 15 working days; reminders 5 and 1 working days before
TARGET = RULES[Kind.RESPONSE_TARGET]  # 10 working days; a reminder 2 working days before; escalates when missed

MIX = {"reminder_window": 0.4, "reminder_target": 0.2, "close_window": 0.2, "close_target": 0.2}
PROVIDERS = 1_000  # each with two locations, a registered manager at each and a nominated individual
INSPECTORS = 100  # in 10 teams, each with an operations manager
DELEGATE_EVERY = 10  # one nominated individual in ten has an active delegate
BATCH = 20_000  # rows per bulk insert while building

# The tables the sweep writes, emptied before each size.
TABLES = [DeadlineStep, Notification, AuditEvent, Deadline, InformationRequest]


def _start_for(rule, due: datetime.date) -> datetime.date:
    """The start date whose window (with no pauses) ends on ``due``."""
    start = due - datetime.timedelta(days=rule.days * 2 + 14)
    while due_date_for(rule, start) < due:
        start += datetime.timedelta(days=1)
    assert due_date_for(rule, start) == due, (rule.kind, due)
    return start


def _template(rule, due: datetime.date, *, done: tuple[str, ...]) -> dict:
    """The worked-out fields of a deadline of ``rule`` due on ``due`` with ``done`` steps in the ledger."""
    start = _start_for(rule, due)
    steps = planned_steps(rule, due)
    return {
        "kind": rule.kind.value,
        "binds": rule.binds.value,
        "unit": rule.unit.value,
        "rule_days": rule.days,
        "start_date": start,
        "original_due_date": due,
        "due_date": due,
        "due_at": workdays.deadline_end_of_day(due),
        "explanation": explain(rule, start),
        "next_action_at": min(at for name, at in steps if name not in done),
        "_done": [(name, at) for name, at in steps if name in done],
    }


def templates() -> dict[str, dict]:
    """The four kinds of due row and the row that is not due, worked out with the portal's rules."""
    window_reminder_due = workdays.add_working_days(TODAY, 5)  # reminder:5 is today at 08:00
    target_reminder_due = workdays.add_working_days(TODAY, 2)  # reminder:2 is today at 08:00
    closed_due = TODAY - datetime.timedelta(days=1)  # Tuesday: closed at midnight, Wednesday 00:00
    later_due = datetime.date(2030, 6, 28)
    built = {
        "reminder_window": _template(WINDOW, window_reminder_due, done=()),
        "reminder_target": _template(TARGET, target_reminder_due, done=()),
        "close_window": _template(WINDOW, closed_due, done=("reminder:5", "reminder:1")),
        "close_target": _template(TARGET, closed_due, done=("reminder:2",)),
        "later_window": _template(WINDOW, later_due, done=()),
        "later_target": _template(TARGET, later_due, done=()),
    }
    for name in MIX:
        assert built[name]["next_action_at"] <= NOW, name
    for name in ("later_window", "later_target"):
        assert built[name]["next_action_at"] > NOW, name
    assert all(at <= NOW for name in ("close_window", "close_target") for _, at in built[name]["_done"])
    return built


def _people() -> dict:
    """Staff in teams, and providers with locations, registered persons and some delegates (once per database)."""
    rng = random.Random(9)  # noqa: S311 - a repeatable spread of regions, not a secret
    password = "!"  # noqa: S105 - unusable: nobody signs in to the benchmark database
    managers = User.objects.bulk_create(
        User(email=f"ops{i}@bench.example", full_name=f"Ops Manager {i}", kind=User.Kind.STAFF, password=password)
        for i in range(INSPECTORS // 10)
    )
    Group.objects.get(name=str(StaffRole.OPERATIONS_MANAGER)).user_set.add(*managers)
    teams = Team.objects.bulk_create(
        Team(name=f"Bench team {i}", operations_manager=manager) for i, manager in enumerate(managers)
    )
    inspectors = User.objects.bulk_create(
        User(
            email=f"inspector{i}@bench.example",
            full_name=f"Inspector {i}",
            kind=User.Kind.STAFF,
            team=teams[i % len(teams)],
            password=password,
        )
        for i in range(INSPECTORS)
    )
    Group.objects.get(name=str(StaffRole.INSPECTOR)).user_set.add(*inspectors)
    providers = Provider.objects.bulk_create(
        Provider(cqc_id=f"1-B{i:06d}", name=f"Bench Provider {i}", type=Provider.Type.ORGANISATION)
        for i in range(PROVIDERS)
    )
    regions = [r for r in Region.values if r != Region.UNSPECIFIED]
    locations = Location.objects.bulk_create(
        Location(
            cqc_id=f"1-L{i:07d}",
            provider=providers[i // 2],
            name=f"Bench Location {i}",
            postcode="OL1 1AA",
            postcode_compact="OL11AA",
            region=rng.choice(regions),
        )
        for i in range(PROVIDERS * 2)
    )
    managers_at = User.objects.bulk_create(
        User(email=f"rm{i}@bench.example", full_name=f"Registered Manager {i}", password=password)
        for i in range(len(locations))
    )
    nominated = User.objects.bulk_create(
        User(email=f"ni{i}@bench.example", full_name=f"Nominated Individual {i}", password=password)
        for i in range(PROVIDERS)
    )
    memberships = ProviderMembership.objects.bulk_create(
        [
            ProviderMembership(user=user, provider=location.provider, role=ProviderRole.REGISTERED_MANAGER)
            for user, location in zip(managers_at, locations, strict=True)
        ]
        + [
            ProviderMembership(user=user, provider=provider, role=ProviderRole.NOMINATED_INDIVIDUAL)
            for user, provider in zip(nominated, providers, strict=True)
        ]
    )
    through = ProviderMembership.locations.through
    through.objects.bulk_create(
        through(providermembership_id=m.pk, location_id=location.pk)
        for m, location in zip(memberships, locations, strict=False)
    )
    delegates = User.objects.bulk_create(
        User(email=f"delegate{i}@bench.example", full_name=f"Delegate {i}", password=password)
        for i in range(0, PROVIDERS, DELEGATE_EVERY)
    )
    ProviderMembership.objects.bulk_create(
        ProviderMembership(user=user, provider=providers[i * DELEGATE_EVERY], role=ProviderRole.COLLEAGUE)
        for i, user in enumerate(delegates)
    )
    Delegation.objects.bulk_create(
        Delegation(
            delegator=nominated[i * DELEGATE_EVERY],
            delegate=user,
            provider=providers[i * DELEGATE_EVERY],
            start_date=TODAY - datetime.timedelta(days=30),
            end_date=TODAY + datetime.timedelta(days=30),
            created_by=nominated[i * DELEGATE_EVERY],
        )
        for i, user in enumerate(delegates)
    )
    return {"inspectors": inspectors, "locations": locations}


def _reset() -> None:
    with connection.cursor() as cursor:
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in TABLES)
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def build(n: int, share: float, people: dict) -> dict[str, int]:
    """N open deadlines, ``share`` of them due at NOW in the mix above; returns how many of each were made."""
    rows = templates()
    due = round(n * share)
    counts = {name: round(due * part) for name, part in MIX.items()}
    counts["close_target"] = due - sum(v for k, v in counts.items() if k != "close_target")
    counts["later"] = n - due
    inspectors, locations = people["inspectors"], people["locations"]
    location_type = ContentType.objects.get_for_model(Location)
    request_type = ContentType.objects.get_for_model(InformationRequest)
    serial = itertools.count()

    def common(template: dict, i: int) -> dict:
        location = locations[i % len(locations)]
        owner = inspectors[i % len(inspectors)]
        fields = {k: v for k, v in template.items() if not k.startswith("_")}
        return {
            **fields,
            "location": location,
            "provider_id": location.provider_id,
            "owner": owner,
            "team_id": owner.team_id,
        }

    def window_rows(name: str, count: int):
        # Provider windows need their information request: the close runs the flow's handler on it.
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            requests = InformationRequest.objects.bulk_create(
                InformationRequest(
                    location=locations[(start + j) % len(locations)],
                    provider_id=locations[(start + j) % len(locations)].provider_id,
                    questions="Your staffing rota and training records, please.",
                    requested_by=inspectors[(start + j) % len(inspectors)],
                    requested_at=NOW - datetime.timedelta(days=21),
                )
                for j in range(size)
            )
            yield [
                Deadline(
                    **common(rows[name], start + j),
                    content_type=request_type,
                    object_id=str(request.pk),
                    case_description=f"Information request for Bench Location {(start + j) % len(locations)}",
                    case_url=f"/assessments/information-requests/{request.pk}/",
                )
                for j, request in enumerate(requests)
            ]

    def target_rows(template: dict, count: int):
        for start in range(0, count, BATCH):
            yield [
                Deadline(
                    **common(template, start + j),
                    content_type=location_type,
                    object_id=f"bench-{next(serial)}",
                    case_description=f"Respond to the information from Bench Location {(start + j) % len(locations)}",
                    case_url="/assessments/",
                )
                for j in range(min(BATCH, count - start))
            ]

    for name, batches in [
        ("reminder_window", window_rows("reminder_window", counts["reminder_window"])),
        ("reminder_target", target_rows(rows["reminder_target"], counts["reminder_target"])),
        ("close_window", window_rows("close_window", counts["close_window"])),
        ("close_target", target_rows(rows["close_target"], counts["close_target"])),
        ("later_window", target_rows(rows["later_window"], counts["later"] // 2)),
        ("later_target", target_rows(rows["later_target"], counts["later"] - counts["later"] // 2)),
    ]:
        for batch in batches:
            created = Deadline.objects.bulk_create(batch)
            done = rows[name]["_done"]
            if done:
                DeadlineStep.objects.bulk_create(
                    DeadlineStep(deadline_id=d.pk, step=step, due_date=d.due_date, done_at=at)
                    for d in created
                    for step, at in done
                )
    vacuum_analyze(Deadline._meta.db_table, DeadlineStep._meta.db_table, InformationRequest._meta.db_table)
    return counts


FLOOR_SQL = """
UPDATE deadlines_deadline SET
    state = CASE WHEN due_at < %(now)s THEN 'missed' ELSE state END,
    closed_at = CASE WHEN due_at < %(now)s THEN %(now)s END,
    met_on_time = CASE WHEN due_at < %(now)s THEN false END,
    next_action_at = CASE WHEN due_at < %(now)s THEN NULL ELSE due_at + interval '1 microsecond' END,
    updated_at = %(now)s
WHERE state = 'open' AND next_action_at <= %(now)s
"""


def _floor_once() -> tuple[float, int]:
    rows = 0

    def run():
        nonlocal rows
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, {"now": NOW})
            rows = cursor.rowcount

    with transaction.atomic():
        seconds, _ = timed(run)
        transaction.set_rollback(True)
    vacuum_analyze(Deadline._meta.db_table)
    return seconds, rows


# The same rows the sweep wrote, written again by SQL alone (copies with new keys), with the single UPDATE: what
# PostgreSQL charges for the sweep's writes, foreign keys checked at each statement as they are at commit.
WRITES_FLOOR_SQL = [
    "SET CONSTRAINTS ALL IMMEDIATE",
    """INSERT INTO notifications_notification (recipient_id, to_email, subject, body, html_body, link_url, headers,
        kind, dedupe_key, created_at, attempts, last_error)
       SELECT recipient_id, to_email, subject, body, html_body, link_url, headers, kind, dedupe_key || ':again',
        created_at, attempts, last_error FROM notifications_notification""",
    """INSERT INTO deadlines_deadlinestep (deadline_id, step, due_date, done_at, skipped)
       SELECT deadline_id, step || ':again', due_date, done_at, skipped FROM deadlines_deadlinestep
       WHERE done_at = %(now)s""",
    """INSERT INTO audit_auditevent (occurred_at, actor_id, on_behalf_of_id, actor_description, content_type_id,
        object_id, subject_description, provider_id, action, from_state, to_state, reason, data)
       SELECT occurred_at, actor_id, on_behalf_of_id, actor_description, content_type_id, object_id,
        subject_description, provider_id, action, from_state, to_state, reason, data FROM audit_auditevent""",
    """UPDATE assessments_informationrequest SET state = 'requested' WHERE state = 'closed_no_response'""",
    """UPDATE deadlines_deadline SET state = 'open', closed_at = NULL, met_on_time = NULL,
        next_action_at = due_at, updated_at = %(now)s WHERE updated_at = %(now)s""",
]


def _writes_floor_once() -> float:
    def run():
        with connection.cursor() as cursor:
            for sql in WRITES_FLOOR_SQL:
                cursor.execute(sql, {"now": NOW})

    with transaction.atomic():
        seconds, _ = timed(run)
        transaction.set_rollback(True)
    vacuum_analyze(Deadline._meta.db_table, Notification._meta.db_table, AuditEvent._meta.db_table)
    return seconds


def _explain_floor() -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + FLOOR_SQL, {"now": NOW})
        return "\n".join(row[0] for row in cursor.fetchall())


def run_size(n: int, share: float, people: dict, *, sweep) -> dict:
    """Build N deadlines, time the floor three times and the sweep once; check the sweep did all it should."""
    _reset()
    build_s, counts = timed(lambda: build(n, share, people))
    due = n - counts["later"]
    floors = [_floor_once() for _ in range(3)]
    assert all(rows == due for _, rows in floors), (floors, due)
    floor_s = median([s for s, _ in floors])
    sweep_s, result = timed(lambda: sweep(now=NOW))
    closes = counts["close_window"] + counts["close_target"]
    reminders = counts["reminder_window"] + counts["reminder_target"]
    assert result.processed == due and not result.failed, result
    assert (result.reminders, result.closed, result.escalated) == (reminders, closes, counts["close_target"]), result
    assert not Deadline.objects.filter(state=DeadlineState.OPEN, next_action_at__lte=NOW).exists()
    assert Deadline.objects.filter(state=DeadlineState.MISSED).count() == closes
    assert (
        InformationRequest.objects.filter(state=InformationRequestState.CLOSED_NO_RESPONSE).count()
        == counts["close_window"]
    )
    notifications = Notification.objects.count()
    assert notifications == result.notifications, (notifications, result)
    writes_floor_s = median([_writes_floor_once() for _ in range(3)])
    return {
        "open": n,
        "due": due,
        "mix": {k: v for k, v in counts.items() if k != "later"},
        "build_s": round(build_s, 1),
        "floor_s": round(floor_s, 4),
        "floor_runs_s": [round(s, 4) for s, _ in floors],
        "sweep_s": round(sweep_s, 3),
        "ratio": round(sweep_s / floor_s, 2),
        "sweep_ms_per_due": round(sweep_s * 1000 / due, 4),
        "writes_floor_s": round(writes_floor_s, 3),
        "ratio_to_writes_floor": round(sweep_s / writes_floor_s, 2),
        "floor_ms_per_due": round(floor_s * 1000 / due, 4),
        "notifications": notifications,
        "ledger_rows": DeadlineStep.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def run(sizes: list[int], share: float, *, sweep, log=print) -> dict:
    """Every size in turn in the current (benchmark) database; the people are made once."""
    # E-mails the sweep queues after commit go to an in-memory broker: the benchmark measures the sweep, and a
    # shared Redis may have a worker of another database on it.
    celery_app.conf.broker_url = "memory://localhost/"
    celery_app.conf.result_backend = None
    people = _people()
    results = []
    for n in sizes:
        result = run_size(n, share, people, sweep=sweep)
        log(
            f"sweep: {n:>9,} open, {result['due']:>7,} due: built in {result['build_s']} s; "
            f"floor UPDATE {result['floor_s']:.3f} s (runs {result['floor_runs_s']}), sweep {result['sweep_s']:.2f} s, "
            f"ratio {result['ratio']:.2f}; {result['sweep_ms_per_due']:.3f} ms per due deadline; the same writes in "
            f"SQL alone {result['writes_floor_s']:.2f} s (ratio {result['ratio_to_writes_floor']:.2f})"
        )
        results.append(result)
    return {
        "due_share": share,
        "now": NOW.isoformat(),
        "floor_sql": " ".join(FLOOR_SQL.split()),
        "floor_plan": _explain_floor(),
        "sizes": results,
    }
