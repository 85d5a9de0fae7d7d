from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.core.admin import CsvExportMixin, ReassignMixin
from cqcportal.deadlines.models import Deadline, DeadlineExtension, DeadlinePause, DeadlineStep, ExtraHoliday
from cqcportal.deadlines.services import DeadlineCannotChange, deadline_extend, extra_holiday_add


class StepInline(admin.TabularInline):
    model = DeadlineStep
    extra = 0
    can_delete = False
    readonly_fields = ["step", "due_date", "done_at", "skipped"]

    def has_add_permission(self, request, obj=None):
        return False


class ExtensionInline(admin.TabularInline):
    model = DeadlineExtension
    extra = 0
    can_delete = False
    readonly_fields = ["from_due_date", "to_due_date", "days", "reason", "extended_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("extended_by")

    def has_add_permission(self, request, obj=None):
        return False


class PauseInline(admin.TabularInline):
    model = DeadlinePause
    extra = 0
    can_delete = False
    readonly_fields = ["paused_on", "resumed_on", "days_added", "reason", "paused_by", "resumed_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paused_by", "resumed_by")

    def has_add_permission(self, request, obj=None):
        return False


class ExtendForm(forms.Form):
    new_due_date = forms.DateField(label="New due date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Deadline)
class DeadlineAdmin(AuditTrailMixin, CsvExportMixin, ReassignMixin, admin.ModelAdmin):
    """Deadlines are changed only through their services (extend here; pause, resume and meet in the flows; a new
    owner with the "Reassign" action)."""

    list_display = ["case_description", "kind", "binds", "due_date", "state", "owner", "next_action_at"]
    list_filter = ["state", "kind", "binds", "team", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["case_description", "object_id", "owner__full_name"]
    date_hierarchy = "due_date"
    list_select_related = ["owner"]
    readonly_fields = [f.name for f in Deadline._meta.fields if f.name != "id"]
    inlines = [ExtensionInline, PauseInline, StepInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("<int:pk>/extend/", self.admin_site.admin_view(self.extend_view), name="deadlines_deadline_extend"),
            *super().get_urls(),
        ]

    def extend_view(self, request, pk):
        if not self.has_view_permission(request) or not request.user.has_perm("deadlines.change_deadline"):
            raise PermissionDenied
        deadline = get_object_or_404(Deadline, pk=pk)
        form = ExtendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                deadline_extend(
                    deadline=deadline,
                    by=request.user,
                    new_due_date=form.cleaned_data["new_due_date"],
                    reason=form.cleaned_data["reason"],
                    today=timezone.localdate(),
                )
            except DeadlineCannotChange as exc:
                form.add_error("new_due_date", str(exc))
            else:
                messages.success(request, "Extended; the people it binds have been told.")
                return redirect(reverse("admin:deadlines_deadline_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "deadline": deadline,
            "title": "Extend deadline",
        }
        return render(request, "admin/deadlines/extend.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "extend_url": reverse("admin:deadlines_deadline_extend", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


class ExtraHolidayForm(forms.ModelForm):
    class Meta:
        model = ExtraHoliday
        fields = ["date", "name"]


@admin.register(ExtraHoliday)
class ExtraHolidayAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Adding a one-off bank holiday moves every live deadline it falls inside and tells those bound."""

    list_display = ["date", "name", "created_by", "created_at"]
    form = ExtraHolidayForm

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        holiday, moved = extra_holiday_add(by=request.user, date=obj.date, name=obj.name, today=timezone.localdate())
        obj.pk = holiday.pk
        messages.info(request, f"{moved} open deadline(s) moved; the people they bind have been told.")
