"""Reading the audit trail."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from cqcportal.audit.models import AuditEvent


def audit_events_for(subject: Model) -> QuerySet[AuditEvent]:
    """The audit trail of one record, newest first."""
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
    ).select_related("actor", "on_behalf_of")
