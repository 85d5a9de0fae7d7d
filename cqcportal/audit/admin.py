"""The audit log in the back office: read-only, filterable by person, case, action and dates; and each record's own
trail shown on its change page (``AuditTrailMixin``)."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from cqcportal.audit.models import AuditEvent
from cqcportal.audit.selectors import audit_events_for
from cqcportal.audit.services import ACCESS_ACTIONS
from cqcportal.core.admin import CsvExportMixin

TRAIL_ROWS = 50


def audit_log_url(**params) -> str:
    """The audit log list, filtered (e.g. ``record_type=`` a content type id and ``record=`` an object id)."""
    return f"{reverse('admin:audit_auditevent_changelist')}?{urlencode(params)}"


class AuditTrailMixin:
    """Shows the record's latest audit events, in one query, at the foot of its change page, with a link to all of
    them in the audit log."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "audit_trail"] if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        kept = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "audit_trail"]})
            for name, options in fieldsets
        ]
        return [*kept, ("Audit trail", {"fields": ["audit_trail"]})]

    @admin.display(description="Latest events")
    def audit_trail(self, obj) -> str:
        events = list(audit_events_for(obj)[: TRAIL_ROWS + 1])
        link = format_html(
            '<p><a href="{}">Open the whole trail of this record in the audit log</a></p>',
            audit_log_url(record_type=ContentType.objects.get_for_model(obj).pk, record=obj.pk),
        )
        if not events:
            return format_html("<p>Nothing recorded yet.</p>{}", link)
        more = format_html("<p>Showing the latest {}.</p>", TRAIL_ROWS) if len(events) > TRAIL_ROWS else ""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(e.occurred_at).strftime("%d %b %Y %H:%M"),
                    e.actor_description,
                    e.action,
                    f"{e.from_state} → {e.to_state}" if e.from_state or e.to_state else "",
                    e.reason,
                )
                for e in events[:TRAIL_ROWS]
            ),
        )
        return format_html(
            '<table class="audit-trail"><thead><tr><th scope="col">When</th><th scope="col">Who</th>'
            '<th scope="col">What</th><th scope="col">State</th><th scope="col">Why</th></tr></thead>'
            "<tbody>{}</tbody></table>{}{}",
            rows,
            more,
            link,
        )


class InputFilter(admin.ListFilter):
    """A sidebar filter with text boxes (one per parameter) rather than a list of every value in the table."""

    template = "admin/audit/input_filter.html"
    parameters: dict[str, str] = {}  # parameter name -> label
    input_type = "text"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if value.strip():
                    self.used_parameters[name] = value.strip()

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return list(self.parameters)

    def choices(self, changelist):
        # One "choice": what the template needs to draw the boxes and keep the other filters.
        keep = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name not in self.parameters and name != "p"
            for value in values
        ]
        yield {
            "inputs": [(name, label, self.used_parameters.get(name, "")) for name, label in self.parameters.items()],
            "input_type": self.input_type,
            "keep": keep,
            "clear_url": changelist.get_query_string(remove=list(self.parameters)),
            "active": bool(self.used_parameters),
        }


class PersonFilter(InputFilter):
    title = "person"
    parameters = {"person": "Name, e-mail or user id"}

    def queryset(self, request, queryset):
        value = self.used_parameters.get("person")
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(Q(actor_id=int(value)) | Q(on_behalf_of_id=int(value)))
        return queryset.filter(
            Q(actor_description__icontains=value) | Q(actor__email__iexact=value) | Q(on_behalf_of__email__iexact=value)
        )


class RecordFilter(InputFilter):
    title = "case or record id"
    parameters = {"record": "Record id (with a kind of record below)"}

    def queryset(self, request, queryset):
        value = self.used_parameters.get("record")
        return queryset.filter(object_id=value) if value else queryset


class ActionFilter(InputFilter):
    title = "action"
    parameters = {"action": "Action, or its start (e.g. report. or case.reassign)"}

    def queryset(self, request, queryset):
        value = self.used_parameters.get("action")
        return queryset.filter(action__startswith=value) if value else queryset


class DateRangeFilter(InputFilter):
    title = "date range (inclusive)"
    parameters = {"occurred_from": "From", "occurred_to": "To"}
    input_type = "date"

    def queryset(self, request, queryset):
        start, end = (self._date(self.used_parameters.get(name)) for name in self.parameters)
        if start is not None:
            queryset = queryset.filter(occurred_at__gte=self._midnight(start))
        if end is not None:
            queryset = queryset.filter(occurred_at__lt=self._midnight(end + datetime.timedelta(days=1)))
        return queryset

    @staticmethod
    def _date(value: str | None) -> datetime.date | None:
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise IncorrectLookupParameters(f"Not a date: {value}") from exc

    @staticmethod
    def _midnight(day: datetime.date) -> datetime.datetime:
        # Days as people in England count them, not UTC days.
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class RecordTypeFilter(admin.SimpleListFilter):
    """The kinds of record in the back office, from the admin's own registry (no scan of the audit table)."""

    title = "kind of record"
    parameter_name = "record_type"

    def lookups(self, request, model_admin):
        models = [m for m in model_admin.admin_site._registry if m is not AuditEvent]
        types = ContentType.objects.get_for_models(*models)
        return sorted(((ct.pk, str(model._meta.verbose_name).capitalize()) for model, ct in types.items()), key=_label)

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(f"Not a kind of record: {value}")
        return queryset.filter(content_type_id=int(value))


def _label(choice) -> str:
    return choice[1]


class EventKindFilter(admin.SimpleListFilter):
    title = "kind of event"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [
            ("state", "State changes"),
            ("access", "Access to unpublished documents"),
            ("reassign", "Cases reassigned"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "state":
            return queryset.exclude(from_state="", to_state="")
        if self.value() == "access":
            return queryset.filter(action__in=ACCESS_ACTIONS)
        if self.value() == "reassign":
            return queryset.filter(action="case.reassign")
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(CsvExportMixin, admin.ModelAdmin):
    """The trail is evidence: readable by admin staff, changed by nobody; a filtered list can be exported."""

    list_display = [
        "occurred_at",
        "actor_description",
        "action",
        "subject_link",
        "from_state",
        "to_state",
        "short_reason",
    ]
    list_filter = [
        EventKindFilter,
        PersonFilter,
        RecordTypeFilter,
        RecordFilter,
        ActionFilter,
        DateRangeFilter,
    ]
    search_fields = ["actor_description", "subject_description", "reason", "=object_id"]
    search_help_text = "Searches who acted, the record's name, the reason, or an exact record id."
    date_hierarchy = "occurred_at"
    list_select_related = ["content_type"]
    # Counting millions of rows for "N total" on every page is not worth it; the filtered count is shown.
    show_full_result_count = False
    readonly_fields = ["subject_link"]
    csv_fields = [
        "occurred_at",
        "actor_description",
        "action",
        "content_type",
        "object_id",
        "subject_description",
        "from_state",
        "to_state",
        "reason",
    ]
    fields = [
        "occurred_at",
        "actor",
        "on_behalf_of",
        "actor_description",
        "subject_link",
        "content_type",
        "object_id",
        "subject_description",
        "provider",
        "action",
        "from_state",
        "to_state",
        "reason",
        "data",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Record", ordering="subject_description")
    def subject_link(self, event: AuditEvent) -> str:
        """The record's own back-office page when it has one, else its description."""
        model = event.content_type.model_class()
        if model is not None and model in self.admin_site._registry:
            url = reverse(
                f"admin:{event.content_type.app_label}_{event.content_type.model}_change", args=[event.object_id]
            )
            return format_html('<a href="{}">{}</a>', url, event.subject_description)
        return event.subject_description

    @admin.display(description="Why")
    def short_reason(self, event: AuditEvent) -> str:
        return event.reason if len(event.reason) <= 80 else f"{event.reason[:79]}…"
