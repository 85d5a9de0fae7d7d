"""Unpublished material stays with the people entitled to it: never on a public page or in search, never in another
provider's or a public follower's e-mail, and never at a file address that can be guessed or fetched without a
permission check. Once published, the right things do become public (so each check can fail).

Everything people type in the world (``planted.build``) is a marker, ``SECRET-<what>``; text that is public from
the start (the findings of the report published earlier) is ``PUBLIC-<what>``.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cqcportal.notifications.models import Notification
from cqcportal.tests import planted

MARKER = re.compile(r"SECRET-[A-Za-z0-9-]+")


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")


def secret(label: str, *, public: bool = False) -> str:
    return f"{'PUBLIC' if public else 'SECRET'}-{_slug(label)}"


def became_public(world) -> set[str]:
    """The markers publication makes public: the checked report's findings, the warning notice's summary and the
    rating review's decision (shown with the changed rating on the working)."""
    return {
        secret(f"findings summary {world.checking.pk}"),
        secret(f"judgement {world.checking.pk}"),
        secret("enforcement summary"),
        secret("review decision", public=True),
    }


@pytest.fixture
def clock():
    with time_machine.travel(planted.at(planted.SENT), tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return planted.build(secret)


def _public_pages(client, world) -> dict[str, str]:
    """Every page an anonymous visitor gets (200, HTML) from every route of the URL conf, for every record of the
    world, and the register search by each marker and by each location's name: URL -> text."""
    client.logout()
    pages: dict[str, str] = {}
    for route in planted.portal_routes():
        for url in planted.route_urls(route, world):
            response = client.get(url)
            planted.release(response)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                pages[url] = response.content.decode()
    return pages


def _search_pages(client, world, markers) -> dict[str, str]:
    pages = {}
    for text in [*markers, world.rated.name, world.checking.name, world.drafting.name, world.provider.name]:
        response = client.get(reverse("register:search"), {"text": text})
        assert response.status_code == 200
        # The search box repeats what was typed: that is the visitor's own text, not a leak.
        pages[f"search: {text}"] = response.content.decode().replace(f'value="{text}"', 'value=""')
    return pages


def _markers_typed(world) -> set[str]:
    """Every confidential marker the world holds, read back from the database so none is forgotten."""
    from django.apps import apps
    from django.db import models

    found: set[str] = set()
    for model in apps.get_models():
        text_fields = [
            f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))
        ]
        if not text_fields or model._meta.app_label in {"notifications", "audit"}:
            continue
        for row in model.objects.values_list(*text_fields):
            for value in row:
                found.update(MARKER.findall(value or ""))
    return found


@pytest.mark.django_db
def test_unpublished_material_is_on_no_public_page_or_search_until_published(client, world, clock):
    markers = _markers_typed(world)
    expected = {
        secret(label)
        for label in [
            "fa comment",  # factual accuracy comments and their files (name and content)
            "fa question",
            "fa answer",
            "extension reason",
            "quality review comments",
            "draft report summary",  # a draft report
            f"findings summary {world.checking.pk}",  # the findings of a report not yet published
            "representation",  # representations and their file
            "enforcement summary",  # enforcement not yet published
            "enforcement reason",
            "rating review grounds",  # a rating review request
            "fit and proper concern",
            "referrer name",
            "complaint about",
        ]
    }
    assert expected <= markers, f"the world lacks {sorted(expected - markers)}"
    assert any("fa-file" in name for name in world.uploads) and any("representation-file" in n for n in world.uploads)

    pages = _public_pages(client, world)
    pages.update(_search_pages(client, world, sorted(markers)))
    public_routes = {url.split("/")[1] for url in pages if url.startswith("/")}
    assert {"register", "location", "provider", "alerts"} <= public_routes
    for report in (world.out_report, world.draft_report):
        assert client.get(reverse("public:report", args=[report.location.cqc_id, report.pk])).status_code == 404
    # The check works: public text from the earlier published report is seen.
    assert any(secret(f"findings summary {world.rated.pk}", public=True) in text for text in pages.values())
    leaks = {url: sorted(set(MARKER.findall(text))) for url, text in pages.items() if MARKER.search(text)}
    assert not leaks, f"unpublished material on public pages: {leaks}"
    # A search by a confidential marker finds nothing (no location of the world is listed).
    for text in markers:
        assert world.rated.name not in pages[f"search: {text}"]

    clock.move_to(planted.at(planted.SENT + datetime.timedelta(days=4)))  # Tuesday of the next week
    planted.publish(world)
    pages = _public_pages(client, world)
    pages.update(_search_pages(client, world, sorted(markers)))
    shown = {m for text in pages.values() for m in MARKER.findall(text)}
    still_secret = shown - became_public(world)
    assert not still_secret, f"still confidential after publication, but public: {sorted(still_secret)}"
    # Each published thing is on the page the public reads it on.
    report_page = pages[reverse("public:report", args=[world.checking.cqc_id, world.out_report.pk])]
    assert secret(f"findings summary {world.checking.pk}") in report_page
    assert secret(f"judgement {world.checking.pk}") in report_page
    assert secret("enforcement summary") in pages[reverse("register:location", args=[world.rated.cqc_id])]
    assert secret("review decision", public=True) in pages[reverse("public:how-rated", args=[world.rated.cqc_id])]


def _entitled(world):
    """People who may read the provider's unpublished material: the regulator's staff and the provider's own people."""
    from cqcportal.accounts.models import User

    staff = User.objects.filter(kind=User.Kind.STAFF)
    own = User.objects.filter(membership__provider=world.provider)
    return set(staff.values_list("email", flat=True)) | set(own.values_list("email", flat=True))


def _send_everything() -> None:
    from cqcportal.notifications.services import notification_send

    for pk in Notification.objects.filter(sent_at__isnull=True).order_by("pk").values_list("pk", flat=True):
        notification_send(notification_id=pk)


def _mail_leaks(entitled: set[str]) -> tuple[list, dict[str, set[str]]]:
    """(e-mails with a marker sent to someone not entitled, markers each address received)."""
    leaks, received = [], {}
    for message in mail.outbox:
        parts = [message.subject, message.body, *(content for content, _ in getattr(message, "alternatives", []))]
        found = {m for part in parts for m in MARKER.findall(str(part))}
        for address in message.to:
            received.setdefault(address, set()).update(found)
            if found and address not in entitled:
                leaks.append((address, message.subject, sorted(found)))
    return leaks, received


@pytest.mark.django_db
def test_unpublished_material_is_emailed_only_to_staff_and_the_providers_own_people(world, clock):
    from cqcportal.alerts.services import digests_send_weekly

    entitled = _entitled(world)
    assert world.outsider.email not in entitled and not set(world.subscriber_emails) & entitled
    # Both the inbox (notification rows) and what was actually sent are checked.
    for row in Notification.objects.all():
        found = MARKER.findall(f"{row.subject}\n{row.body}\n{row.html_body}")
        assert not found or row.to_email in entitled, (row.to_email, row.subject, found)
    assert digests_send_weekly(week_start=datetime.date(2026, 12, 14)) == len(world.subscriber_emails)
    _send_everything()
    leaks, received = _mail_leaks(entitled)
    assert not leaks, f"unpublished material e-mailed to people not entitled to it: {leaks}"
    # The check sees markers: the provider's people and staff do get their own confidential correspondence.
    assert secret("extension decision") in received[world.manager.email]
    assert secret("fa question") in received[world.boss.email]
    assert set(world.subscriber_emails) <= set(received)
    assert not received.get(world.outsider.email)

    clock.move_to(planted.at(planted.SENT + datetime.timedelta(days=4)))
    mail.outbox.clear()
    planted.publish(world)
    assert digests_send_weekly(week_start=datetime.date(2026, 12, 21)) >= 1
    _send_everything()
    leaks, received = _mail_leaks(_entitled(world))
    assert not leaks, f"after publication, confidential material e-mailed to people not entitled to it: {leaks}"
    digests = [m for m in mail.outbox if m.to[0] in world.subscriber_emails]
    assert any(f"Report on {world.checking.name} published" in m.body for m in digests)
    assert any("Rating review of" in m.body for m in digests)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@pytest.mark.django_db
def test_uploaded_files_are_outside_the_web_root_and_served_only_through_permission_checked_views(
    client, world, settings
):
    from factual_accuracy import services as fa

    # The configured folder (not this test's temporary one) is outside everything served as static files.
    media_root = Path(django_settings.MEDIA_ROOT)
    served = [Path(settings.STATIC_ROOT), settings.BASE_DIR / "static", settings.BASE_DIR / "templates"]
    served += [Path(d[1] if isinstance(d, tuple) else d) for d in settings.STATICFILES_DIRS]
    if getattr(settings, "WHITENOISE_ROOT", None):
        served.append(Path(settings.WHITENOISE_ROOT))
    assert not [folder for folder in served if _inside(media_root, folder) or _inside(folder, media_root)]

    # Stored under a random folder, so the address of one file says nothing about another's.
    for name in world.uploads:
        assert re.fullmatch(r"(factual-accuracy|representations|evidence)/\d+/[0-9a-f]{32}/[^/]+", name), name
        assert _inside(Path(default_storage.path(name)), Path(settings.MEDIA_ROOT))
    same = fa.supporting_file_add(
        by=world.colleague,
        comment=world.comment,
        upload=SimpleUploadedFile(world.supporting_file.name, planted.pdf_with("again"), "application/pdf"),
    )
    first, second = world.supporting_file.file.name, same.file.name
    assert first.rsplit("/", 1)[-1] == second.rsplit("/", 1)[-1] and first.split("/")[2] != second.split("/")[2]

    # No address outside the permission-checked views returns a stored file, to anyone.
    client.force_login(world.boss)  # staff: the client finishes the second factor too
    for name, content in world.uploads.items():
        guesses = {settings.MEDIA_URL, "/", "/media/", "/static/", "/var/media/", "/uploads/", "/files/"}
        for url in sorted(f"{prefix.rstrip('/')}/{name}" for prefix in guesses):
            response = client.get(url)
            body = planted.release(response)
            assert content not in body, url

    files = {
        reverse("factual_accuracy:file", args=[world.out_report.pk, world.supporting_file.pk]): (
            world.supporting_file.file.name,
            [world.colleague, world.manager],  # a draft comment's file is the provider's own until it is sent
        ),
        reverse("enforcement:file", args=[world.action.pk, world.representation_file.pk]): (
            world.representation_file.file.name,
            [world.colleague, world.manager, world.boss],
        ),
        reverse("assessments:evidence-download", args=[world.evidence.assessment_id, world.evidence.pk]): (
            world.evidence.document.name,
            [world.boss],
        ),
    }
    for url, (name, allowed) in files.items():
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in")), url
        client.force_login(world.outsider)
        assert client.get(url).status_code == 404, url
        for person in {world.colleague, world.boss} - set(allowed):
            client.force_login(person)
            assert client.get(url).status_code == 404, (url, person.email)
        for person in allowed:
            client.force_login(person)
            response = client.get(url)
            assert response.status_code == 200, (url, person.email)
            assert planted.release(response) == world.uploads[name]
            assert response["X-Content-Type-Options"] == "nosniff"
