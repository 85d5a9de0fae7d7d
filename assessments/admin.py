from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path, reverse

from assessments.models import InformationRequest, InformationRequestState
from assessments.services import InformationRequestCannotReview, information_request_review


@admin.register(InformationRequest)
class InformationRequestAdmin(admin.ModelAdmin):
    """State is read-only here; transitions are buttons that call the same services as the portal."""

    list_display = ["location", "provider", "state", "requested_at", "submitted_at"]
    list_filter = ["state"]
    search_fields = ["location__name", "provider__name"]
    list_select_related = ["location", "provider"]
    readonly_fields = [f.name for f in InformationRequest._meta.fields if f.name != "id"]
    change_form_template = "admin/assessments/informationrequest/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="assessments_informationrequest_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, pk):
        if request.method != "POST":
            return redirect(reverse("admin:assessments_informationrequest_change", args=[pk]))
        info = InformationRequest.objects.get(pk=pk)
        try:
            information_request_review(by=request.user, request=info)
        except InformationRequestCannotReview as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Marked as reviewed (audited, and the response target is met).")
        return redirect(reverse("admin:assessments_informationrequest_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        info = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_review": info is not None and info.state == InformationRequestState.SUBMITTED,
            "review_url": reverse("admin:assessments_informationrequest_review", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)
