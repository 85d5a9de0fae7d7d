"""Writing the audit trail."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from cqcportal.audit.models import AuditEvent
from cqcportal.core.bulk import insert_rows

# Reading unpublished material (a draft report, a provider's file, representations, a review request, evidence):
# each is recorded with one of these actions, so the audit log can list every access.
DOCUMENT_VIEW = "document.view"
DOCUMENT_DOWNLOAD = "document.download"
ACCESS_ACTIONS = (DOCUMENT_VIEW, DOCUMENT_DOWNLOAD, "report.file.download", "enforcement.file.download")


class AuditEventCannotBeWrittenOutsideTransaction(Exception):
    """An audit event must commit or roll back with the change it records."""


def describe_actor(user) -> str:
    """The actor as shown in the trail: name and role, or 'System' for the portal itself."""
    if user is None:
        return "System"
    if user.is_regulator_staff:
        from cqcportal.accounts.rules import staff_role_names

        roles = ", ".join(sorted(staff_role_names(user))) or "Regulator staff"
        return f"{user.full_name} ({roles})"
    membership = getattr(user, "membership", None)
    if membership is not None:
        return f"{user.full_name} ({membership.get_role_display()}, {membership.provider.name})"
    return user.full_name


class AuditRow(NamedTuple):
    """One audited act, not yet written: what ``audit_events_record_many`` inserts."""

    occurred_at: datetime.datetime
    actor_id: int | None
    on_behalf_of_id: int | None
    actor_description: str
    content_type_id: int
    object_id: str
    subject_description: str
    provider_id: int | None
    action: str
    from_state: str
    to_state: str
    reason: str
    data: dict


def audit_event_build(
    *,
    by,
    subject: models.Model,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    on_behalf_of=None,
    provider=None,
    data: dict | None = None,
    occurred_at: datetime.datetime | None = None,
) -> AuditRow:
    """One audited act as a row to write (for ``audit_events_record_many`` and ``audit_event_record``)."""
    provider_id = provider.pk if provider is not None else _provider_id_of(subject)
    actor_description = describe_actor(by)
    if on_behalf_of is not None:
        actor_description += f", as delegate for {on_behalf_of.full_name}"
    return AuditRow(
        occurred_at=occurred_at or timezone.now(),
        actor_id=by.pk if by is not None else None,
        on_behalf_of_id=on_behalf_of.pk if on_behalf_of is not None else None,
        actor_description=actor_description[:300],
        content_type_id=ContentType.objects.get_for_model(subject).pk,
        object_id=str(subject.pk),
        subject_description=str(subject)[:300],
        provider_id=provider_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def _require_transaction(action: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise AuditEventCannotBeWrittenOutsideTransaction(action)


def audit_event_record(
    *,
    by,
    subject: models.Model,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    on_behalf_of=None,
    provider=None,
    data: dict | None = None,
) -> AuditEvent:
    """Record one audited act in the current transaction.

    :raises AuditEventCannotBeWrittenOutsideTransaction: when called outside ``transaction.atomic``.
    """
    _require_transaction(action)
    row = audit_event_build(
        by=by,
        subject=subject,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        on_behalf_of=on_behalf_of,
        provider=provider,
        data=data,
    )
    return AuditEvent.objects.create(**row._asdict())


def audit_events_record_many(rows: list[AuditRow]) -> None:
    """Record many audited acts (built by ``audit_event_build``) with one insert, in the current transaction.

    :raises AuditEventCannotBeWrittenOutsideTransaction: when called outside ``transaction.atomic``.
    """
    if rows:
        _require_transaction(rows[0].action)
        insert_rows(AuditEvent, AuditRow._fields, rows)


def _provider_id_of(subject) -> int | None:
    from cqcportal.register.models import Provider

    if isinstance(subject, Provider):
        return subject.pk
    return getattr(subject, "provider_id", None)


def audit_access_insert_sql(
    connection,
    subjects: models.QuerySet,
    *,
    occurred_at: datetime.datetime,
    actor_id: int,
    actor_description: str,
    description: models.Expression,
    document: str,
    action: str = DOCUMENT_VIEW,
    **data: models.Expression,
) -> tuple[str, list]:
    """The SQL of an INSERT of the access records ``audit_access_record`` would write for each of ``subjects``, read
    from their rows by the same statement: (sql, params), e.g. for a ``WITH`` clause before the read that shows them
    (``CompiledRead(with_=...)``), so that a page and the record of it see the same rows.

    ``description``: the subjects' ``str()`` as an expression on their rows; ``data``: the record's data besides the
    document, each an expression. ``actor_description`` is ``describe_actor(by)``, kept to the column's length here.
    A subject's provider is its ``provider_id``, as for ``audit_event_build``.
    """
    from django.db.models.expressions import RawSQL
    from django.db.models.functions import Cast, JSONObject, Substr

    columns = {
        "occurred_at": models.Value(occurred_at, output_field=models.DateTimeField()),
        # As it is given (a Value would wrap it in a type of psycopg's), so that CompiledRead finds it.
        "actor_id": RawSQL("%s", [actor_id], output_field=models.IntegerField()),
        "on_behalf_of_id": models.Value(None, output_field=models.IntegerField()),
        "actor_description": models.Value(actor_description, output_field=models.CharField()),
        "content_type_id": models.Value(
            ContentType.objects.get_for_model(subjects.model).pk, output_field=models.IntegerField()
        ),
        "object_id": Cast("pk", output_field=models.CharField()),
        "subject_description": Substr(description, 1, 300),
        "provider_id": models.F("provider_id"),
        "action": models.Value(action, output_field=models.CharField()),
        "from_state": models.Value("", output_field=models.CharField()),
        "to_state": models.Value("", output_field=models.CharField()),
        "reason": models.Value("", output_field=models.CharField()),
        "data": JSONObject(document=Cast(models.Value(document), output_field=models.TextField()), **data),
    }
    names = {column: f"audit_{column}" for column in columns}
    rows = (
        subjects.order_by()
        .annotate(**{names[column]: expression for column, expression in columns.items()})
        .values_list(*names.values())
    )
    select_sql, params = rows.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    fields = {field.attname: field.column for field in AuditEvent._meta.concrete_fields}
    into = ", ".join(quote(fields[column]) for column in columns)
    return f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({into}) {select_sql}", list(params)


def audit_access_record(*, by, subject: models.Model, document: str, action: str = DOCUMENT_VIEW, **data) -> AuditEvent:
    """Record that ``by`` opened unpublished material about ``subject``, in a transaction of its own.

    A read changes nothing else, so unlike a state change the access owns its transaction; ``document`` says
    what was seen (e.g. "draft report", "evidence file").
    """
    row = audit_event_build(by=by, subject=subject, action=action, data={"document": document, **data})
    # One INSERT is atomic by itself: outside a transaction it commits on its own, without the BEGIN and COMMIT
    # round trips that every reading of an unpublished document would otherwise pay; inside one it joins it.
    return AuditEvent.objects.create(**row._asdict())
