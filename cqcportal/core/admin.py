"""What every case list in the back office shares: exporting the filtered list as CSV, and reassigning the selected
cases to another inspector through the same service, checks and audit as everywhere else."""

from __future__ import annotations

import csv
import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst, slugify
from django_celery_beat import admin as beat_admin  # registers its admins first, so they can be replaced below
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule

from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import User
from cqcportal.core.services import CasesCannotReassign, cases_reassign, reassignable

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a leading apostrophe makes
# it text. Tab and carriage return are on OWASP's list too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object that hands each written line straight back, for streaming."""

    def write(self, value: str) -> str:
        return value


class CsvExportMixin:
    """Adds "Export this list as CSV" to the list (the current filters, search and order apply) and an action for the
    selected rows. Columns are ``csv_fields`` if set, else the list's own columns."""

    csv_fields: list[str] | None = None
    change_list_template = "admin/csv_export_change_list.html"

    def get_urls(self):
        return [
            path("export.csv", self.admin_site.admin_view(self.csv_export_view), name=self._csv_url_name()),
            *super().get_urls(),
        ]

    def _csv_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_export"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if IS_POPUP_VAR not in request.GET and self.has_view_permission(request):
            actions["export_selected_csv"] = (
                CsvExportMixin.export_selected_csv,
                "export_selected_csv",
                "Export the selected rows as CSV",
            )
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "csv_export_url": reverse(f"admin:{self._csv_url_name()}")}
        return super().changelist_view(request, extra_context)

    def csv_export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv_response(request, changelist.get_queryset(request))

    def export_selected_csv(self, request, queryset):
        return self._csv_response(request, queryset)

    def csv_columns(self, request) -> list[str]:
        names = self.csv_fields or list(self.get_list_display(request))
        return [name for name in names if name != "action_checkbox"]

    def _csv_response(self, request, queryset):
        names = self.csv_columns(request)
        headers = [capfirst(str(label_for_field(name, self.model, model_admin=self))) for name in names]
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow([csv_safe(h) for h in headers])
            for obj in queryset.iterator(chunk_size=500):
                yield writer.writerow([self._cell(name, obj) for name in names])

        stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
        filename = f"{slugify(self.opts.verbose_name_plural)}-{stamp}.csv"
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def _cell(self, name: str, obj) -> str:
        try:
            field, _attr, value = lookup_field(name, obj, self)
        except (AttributeError, models.ObjectDoesNotExist):
            return ""
        if field is not None and getattr(field, "flatchoices", None):
            value = dict(field.flatchoices).get(value, value)
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, datetime.datetime):
            text = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, datetime.date):
            text = value.isoformat()
        else:
            # A display method may return HTML (a link); the sheet wants its words.
            text = strip_tags(str(value)) if field is None else str(value)
        return csv_safe(text)


class ReassignForm(forms.Form):
    to_user = forms.ModelChoiceField(
        label="New inspector",
        queryset=User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by("full_name"),
        error_messages={"invalid_choice": "Choose an active member of staff: only they can hold cases."},
    )
    reason = forms.CharField(
        label="Reason (recorded in the audit trail and told to the new inspector)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Give the reason for reassigning (for example: absence, or leaving)."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for reassigning (for example: absence, or leaving).")
        return reason


class ReassignMixin:
    """The "Reassign to another inspector" action: an intermediate page asks for the new inspector and the reason,
    then ``cases_reassign`` moves every selected case or none."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if IS_POPUP_VAR not in request.GET and self.has_reassign_permission(request):
            role = reassignable()[self.model].role
            actions["reassign_cases"] = (
                ReassignMixin.reassign_cases,
                "reassign_cases",
                f"Reassign the selected to another inspector (as {role})",
            )
        return actions

    def has_reassign_permission(self, request) -> bool:
        return perms.is_admin_staff(request.user)

    def reassign_cases(self, request, queryset):
        if not self.has_reassign_permission(request):
            raise PermissionDenied
        assignment = reassignable()[self.model]
        cases = list(queryset.select_related(assignment.field, *assignment.related).order_by("pk"))
        form = ReassignForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                result = cases_reassign(
                    by=request.user,
                    cases=cases,
                    to_user=form.cleaned_data["to_user"],
                    reason=form.cleaned_data["reason"],
                )
            except CasesCannotReassign as exc:
                form.add_error(None, str(exc))
            else:
                followed = f" and {len(result.followed)} target(s) on them" if result.followed else ""
                self.message_user(
                    request,
                    f"{len(result.moved)} {self.opts.verbose_name_plural} moved to {result.to_user.full_name}"
                    f"{followed}; each move is in the audit trail, and {result.to_user.full_name} has been told.",
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reassign {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "form": form,
            "cases": [(case, getattr(case, assignment.field)) for case in cases],
            "role": assignment.role,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/reassign.html", context)


# --- The periodic schedules (django-celery-beat's tables, kept in step with schedules.py) ---------------------------


class PeriodicTaskInline(beat_admin.PeriodicTaskInline):
    """The tasks on a schedule's page, each named with its schedule (``PeriodicTask.__str__``): the schedules come with
    the tasks, not a query per task."""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("interval", "crontab", "solar", "clocked")


for _model, _model_admin in (
    (ClockedSchedule, beat_admin.ClockedScheduleAdmin),
    (CrontabSchedule, beat_admin.CrontabScheduleAdmin),
    (IntervalSchedule, beat_admin.IntervalScheduleAdmin),
    (SolarSchedule, beat_admin.SolarScheduleAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(
        _model, type(_model_admin.__name__, (_model_admin,), {"inlines": [PeriodicTaskInline], "__module__": __name__})
    )
