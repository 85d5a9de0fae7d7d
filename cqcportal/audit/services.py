"""Writing the audit trail."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from cqcportal.audit.models import AuditEvent

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
        roles = ", ".join(sorted(g.name for g in user.groups.all())) or "Regulator staff"
        return f"{user.full_name} ({roles})"
    membership = getattr(user, "membership", None)
    if membership is not None:
        return f"{user.full_name} ({membership.get_role_display()}, {membership.provider.name})"
    return user.full_name


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
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise AuditEventCannotBeWrittenOutsideTransaction(action)
    if provider is None:
        provider = _provider_of(subject)
    actor_description = describe_actor(by)
    if on_behalf_of is not None:
        actor_description += f", as delegate for {on_behalf_of.full_name}"
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=by,
        on_behalf_of=on_behalf_of,
        actor_description=actor_description[:300],
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        subject_description=str(subject)[:300],
        provider=provider,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def _provider_of(subject):
    from cqcportal.register.models import Provider

    if isinstance(subject, Provider):
        return subject
    provider_id = getattr(subject, "provider_id", None)
    if provider_id is not None:
        return Provider(pk=provider_id)
    return None


def audit_access_record(*, by, subject: models.Model, document: str, action: str = DOCUMENT_VIEW, **data) -> AuditEvent:
    """Record that ``by`` opened unpublished material about ``subject``, in a transaction of its own.

    A read changes nothing else, so unlike a state change the access owns its transaction; ``document`` says
    what was seen (e.g. "draft report", "evidence file").
    """
    with transaction.atomic():
        return audit_event_record(by=by, subject=subject, action=action, data={"document": document, **data})
