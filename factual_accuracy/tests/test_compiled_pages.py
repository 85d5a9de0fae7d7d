"""The busiest signed-in pages compile almost none of their SQL once warm (cqcportal.core.compiled).

Compiling a queryset costs Django 0.3-0.9 ms a statement; these pages' hot reads are compiled once per connection.
A change that turns one back into a queryset compiled on every request fails here, as a new query fails the
query budgets.
"""

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse

from factual_accuracy.tests.test_check import DUE, PDF, SENT, at, clock, out  # noqa: F401 - fixtures
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture


@pytest.fixture
def compiled_count(monkeypatch):
    """How many querysets Django compiled to SQL (subqueries included) while the block ran."""
    calls = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model.__name__ if self.query.model else "")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


def _compiled_on_the_second_visit(client, path, calls) -> int:
    assert client.get(path).status_code == 200  # the first visit compiles what this connection has not yet
    calls.clear()
    assert client.get(path).status_code == 200
    return len(calls)


@pytest.mark.django_db
def test_warm_pages_compile_at_most_their_few_uncompiled_reads(client, out, inspector, provider_user, compiled_count):  # noqa: F811
    client.force_login(inspector)
    # The report: the deadlines' extensions (a prefetch) and the two reads of the person's roles.
    assert _compiled_on_the_second_visit(client, reverse("factual_accuracy:report", args=[out.pk]), compiled_count) <= 3
    # The workspace: the score changes of the assessments its working draws on (a list of any length), the last
    # three overall ratings (the flags) and the assessment's reports.
    workspace = reverse("assessments:workspace", args=[out.assessment_id])
    assert _compiled_on_the_second_visit(client, workspace, compiled_count) <= 3
    # The caseload: nothing.
    assert _compiled_on_the_second_visit(client, reverse("assessments:caseload"), compiled_count) == 0
    client.force_login(provider_user)
    # The provider's report: the deadlines' extensions.
    assert _compiled_on_the_second_visit(client, reverse("factual_accuracy:report", args=[out.pk]), compiled_count) <= 1
