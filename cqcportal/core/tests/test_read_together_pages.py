"""The busiest signed-in pages send their independent reads together, the navigation's unread count with them.

Each read is still its own statement (the query budgets count them all), but a page's reads that need nothing from
one another go to PostgreSQL in one pipeline, one round trip (``cqcportal.core.compiled.read_together``). On the
national register a round trip cost about 0.1 ms of CPU, the server's and PostgreSQL's (docs/benchmarks.md).
"""

from __future__ import annotations

import re

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from cqcportal.notifications.models import Notification
from cqcportal.tests.second_factor import SignedInClient
from cqcportal.tests.world import rolled_back, world_for_module

pytestmark = pytest.mark.django_db

# (url name, person, the world's record, round trips at most, statements in pipelines at least). A page's round
# trips: the session, the person, then the page's reads together. The workspace reads its assessment with its rows
# and its working's: everything the working needs is read by the location, which each of those statements finds
# from the assessment itself (``assessments.working.of_assessments_location``). The draft report reads its report,
# its lists and their related rows (comments' files, deadlines' extensions) by the report's id, all together, and
# the read of the report writes the reading's audit line (its actor described from the person's roles, read with
# the person: ``cqcportal.accounts.backends``). The provider dashboard reads each location's current rating
# with it (no prefetch). Before the reads went together these took 16, 15, 13, 7, 9 and 5 round trips; the
# workspace took 4 until its assessment went with its reads, the draft report 7 and 6 until its report and related
# rows went with its lists (and staff's roles with the person).
PAGES = [
    ("assessments:workspace", "inspector", "assessment_live", 3, 14),
    ("factual_accuracy:report", "inspector", "report_responding", 3, 10),
    ("factual_accuracy:report", "registered_manager", "report_check", 3, 10),
    ("core:dashboard", "registered_manager", None, 3, 4),
    ("core:dashboard", "inspector", None, 4, 6),
    ("assessments:caseload", "inspector", None, 3, 2),
]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_for_module(django_db_blocker, tmp_path_factory) as built:
        yield built


def _round_trips(client, url):
    """The response, each statement with whether it went in a pipeline, and the number of pipelines."""
    statements, pipelines = [], []
    original = psycopg.Connection.pipeline

    def counted(self):
        pipelines.append(1)
        return original(self)

    def record(execute, sql, params, many, context):
        statements.append((sql, context["connection"].connection.info.pipeline_status.name == "ON"))
        return execute(sql, params, many, context)

    psycopg.Connection.pipeline = counted
    try:
        with connection.execute_wrapper(record):
            response = client.get(url)
    finally:
        psycopg.Connection.pipeline = original
    return response, statements, len(pipelines)


@pytest.mark.parametrize(("name", "role", "record", "most", "piped"), PAGES, ids=[f"{p[0]}[{p[1]}]" for p in PAGES])
def test_a_page_s_reads_go_together_and_its_unread_count_with_them(world, name, role, record, most, piped):
    person = world.people[role]
    client = SignedInClient()
    client.force_login(person)
    url = reverse(name, kwargs={"pk": getattr(world, record).pk} if record else {})
    with rolled_back():
        Notification.objects.filter(recipient=person).update(read_at="2026-01-01T00:00:00Z")
        for n in range(3):
            Notification.objects.create(
                recipient=person, to_email=person.email, subject="s", body="b", dedupe_key=f"together-{n}"
            )
        # Counted as every request after the first: a compiled read compiles on its first use in a connection (and
        # may look up a content type then), once.
        client.get(url)
        response, statements, pipelines = _round_trips(client, url)
    assert response.status_code == 200
    alone = sum(1 for _, in_pipeline in statements if not in_pipeline)
    in_pipelines = len(statements) - alone
    trips = [(sql[:70], p) for sql, p in statements]
    assert alone + pipelines <= most, "\n".join([f"{alone} alone, {pipelines} pipelines"] + [str(t) for t in trips])
    assert in_pipelines >= piped
    # The unread count went with the page's reads, once, and the navigation shows it.
    counts = [in_pipeline for sql, in_pipeline in statements if 'FROM "notifications_notification"' in sql]
    assert counts == [True]
    html = response.content.decode()
    inbox = re.search(r'href="/inbox/"[^>]*>Inbox\s*<span class="govuk-tag[^"]*app-count">(\d+)<', html)
    assert inbox and inbox[1] == "3"


def test_with_nothing_unread_the_navigation_shows_no_count(world):
    person = world.people["registered_manager"]
    client = SignedInClient()
    client.force_login(person)
    with rolled_back():
        Notification.objects.filter(recipient=person).update(read_at="2026-01-01T00:00:00Z")
        html = client.get(reverse("core:dashboard")).content.decode()
    assert re.search(r'href="/inbox/"[^>]*>Inbox\s*</a>', html)
