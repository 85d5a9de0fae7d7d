"""The in-portal inbox: every notification a person was sent, read or unread, linking to its case."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import notification_mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(recipient=request.user).only(
        "id", "subject", "created_at", "read_at", "link_url", "kind"
    )
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page_obj": page})


@login_required
def inbox_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    notification_mark_read(by=request.user, notification=item)
    return render(request, "notifications/inbox_item.html", {"item": item})


@login_required
@require_POST
def inbox_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    notification_mark_read(by=request.user, notification=item)
    if item.link_url and url_has_allowed_host_and_scheme(item.link_url, allowed_hosts={request.get_host()}):
        return redirect(item.link_url)
    return redirect("notifications:inbox")
