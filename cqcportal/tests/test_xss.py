"""Cross-site scripting: script planted in every free-text field people type into is shown escaped on every page
that shows it: the portal's pages (for staff, the provider and the public), the inbox, the e-mails (HTML bodies)
and Django admin's lists and change pages.

The fields are found by walking the models (CharField and TextField without choices), so a new field is planted
too; a field that holds no typed text is listed in ``NOT_TYPED`` with the reason. Every planted field must be seen,
escaped, on at least one page, so the check cannot pass by looking in the wrong place.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.db import IntegrityError, models, transaction
from django.urls import NoReverseMatch, reverse

from cqcportal.tests import planted

APPS = ("cqcportal", "assessments", "enforcement", "factual_accuracy")

# Fields that hold no text a person types, with why. Everything else is planted.
NOT_TYPED = {
    "accounts.User.password": "a password hash, never shown",
    "audit.AuditEvent.object_id": "the audited record's primary key",
    "audit.AuditEvent.action": "a code written by the service, e.g. report.publish",
    "audit.AuditEvent.from_state": "a state code",
    "audit.AuditEvent.to_state": "a state code",
    "register.Provider.cqc_id": "the register id from the CQC API, part of public URLs (checked by the importer)",
    "register.Location.cqc_id": "the register id from the CQC API, part of public URLs (checked by the importer)",
    "register.Location.postcode_compact": "the search key the portal derives from the postcode (planted)",
    "register.RegulatedActivity.code": "the regulation's code, e.g. RA1",
    "register.PublishedRating.report_link_id": "a report's primary key as text",
    "notifications.Notification.subject": "written by the portal from planted text; checked as output in the inbox",
    "notifications.Notification.body": "plain text written by the portal; its HTML twin is checked as output",
    "notifications.Notification.html_body": "written by the portal from planted text; checked as output",
    "notifications.Notification.link_url": "a portal path chosen by the service",
    "notifications.Notification.kind": "a code, e.g. report.published",
    "notifications.Notification.dedupe_key": "a key made by the service",
    "notifications.Notification.last_error": "the mail server's error message",
    "alerts.PublicEvent.url": "a portal path chosen by the service",
    "alerts.PublicEvent.dedupe_key": "a key made by the service",
    "alerts.Subscription.confirm_token": "a random token",
    "alerts.Subscription.unsubscribe_token": "a random token",
    "deadlines.Deadline.object_id": "the case's primary key",
    "deadlines.Deadline.case_url": "a portal path chosen by the service",
    "deadlines.DeadlineStep.step": "a code naming a reminder step",
    "assessments.EvidenceCategory.slug": "part of URLs; the framework's fixed identifier",
    "assessments.QualityStatement.slug": "part of URLs; the framework's fixed identifier",
    "assessments.QualityStatement.api_id": "the CQC API's identifier",
    "assessments.LocationRating.key_question": "a key question code",
    "assessments.LocationRating.calculated_rating": "a rating code",
    "assessments.LocationRating.rating": "a rating code",
    "assessments.LocationRating.enforcement_limit": "a limit code",
    "assessments.RatingDeparture.key_question": "a key question code",
    "assessments.RatingDeparture.calculated_rating": "a rating code",
    "assessments.RatingDeparture.rating": "a rating code",
    "assessments.AssessmentOutcome.overall_rating": "a rating code",
    "assessments.RatingChallenge.key_question": "a key question code",
    "assessments.RatingReviewChange.key_question": "a key question code",
    "assessments.RatingReviewChange.from_rating": "a rating code",
    "assessments.RatingReviewChange.to_rating": "a rating code",
    "enforcement.Breach.key_question": "a key question code",
    "enforcement.RepresentationFile.file_type": "the type found in the file's content, e.g. pdf",
    "factual_accuracy.ReportSection.key_question": "a key question code",
    "factual_accuracy.ReportSection.rating": "a rating code",
    "factual_accuracy.SupportingFile.file_type": "the type found in the file's content, e.g. pdf",
    "factual_accuracy.SupportingFile.sha256": "a hash of the file",
}

# Typed fields that no page shows, with why. They are planted and scanned like the rest; they just need not be seen.
NOT_SHOWN = {
    "accounts.Team.region": "teams are shown by name only",
    "assessments.LocationRating.explanation": "the ratings engine's stored copy; pages show the working computed live",
    "assessments.LocationRating.departure_rationale": "a stored copy of RatingDeparture.rationale, which pages show",
}


def typed_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every CharField and TextField without choices on the portal's models, except e-mail addresses (validated
    as addresses, so they cannot hold markup) and simple_history's copies (the live field is planted)."""
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith(APPS) or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, (models.CharField, models.TextField))
                and not field.choices
                and not isinstance(field, models.EmailField)
                and _label(model, field) not in NOT_TYPED
            ):
                found.append((model, field))
    return found


def _label(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


class Payloads:
    """A script payload per field (or per thing typed through a service), each with its own tag (q001, q002 ...)."""

    LONG = '<script>alert("{tag}")</script>"><img src=x onerror=alert(1)>'
    SHORT = "<b>{tag}"  # for fields of 10 characters (postcodes): still markup, if shown raw
    RAW = re.compile(r'<(?:script>alert\("|b>)(q\d{3})')
    ESCAPED = re.compile(r"(?:&lt;|\\u003C)(?:script(?:&gt;|\\u003E)alert\((?:&quot;|\\\")|b(?:&gt;|\\u003E))(q\d{3})")

    def __init__(self):
        self.tags: dict[str, str] = {}  # label -> tag

    def tag(self, label: str) -> str:
        return self.tags.setdefault(label, f"q{len(self.tags) + 1:03d}")

    def __call__(self, label: str, *, public: bool = False, max_length: int | None = None) -> str:
        text = self.LONG.format(tag=self.tag(label))
        return text if max_length is None or len(text) <= max_length else self.SHORT.format(tag=self.tag(label))


class _Scan(HTMLParser):
    """Finds what escaping prevents: elements, attributes and scripts that came from planted text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script_type = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert(" in value:
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>")
        if tag == "script":
            self._script_type = dict(attrs).get("type") or "text/javascript"

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_type = None

    def handle_data(self, data):
        if self._script_type is None:
            return
        if "application/json" in self._script_type:
            if "<" in data:
                self.problems.append(f"markup inside JSON data: {data[:80]!r}")
        elif re.search(r"q\d{3}", data):
            self.problems.append(f"planted text inside a script: {data[:80]!r}")


def scan(html: str) -> tuple[list[str], set[str]]:
    """(what is unescaped, the tags seen escaped) in an HTML page."""
    problems = [f"raw payload {m.group(0)!r}" for m in Payloads.RAW.finditer(html)]
    if "<img src=x onerror" in html:
        problems.append("raw <img onerror>")
    parser = _Scan()
    parser.feed(html)
    parser.close()
    return problems + parser.problems, set(Payloads.ESCAPED.findall(html))


# --- The world, planted ------------------------------------------------------------------------------------------


def _extra_rows(world, say) -> None:
    """Records the world's flows do not make, so every model with typed text has a row to show."""
    from assessments.models import RatingDeparture, StatementScoreChange
    from assessments.services import location_rating_suspend
    from cqcportal.accounts.models import Team
    from cqcportal.deadlines.models import Deadline, ExtraHoliday
    from cqcportal.deadlines.services import deadline_pause
    from cqcportal.register.models import PublishedRating
    from enforcement import services as enforcement
    from enforcement.models import Appeal, EscalationTask, EscalationTaskKind, SpecialMeasures

    now = planted.at(planted.SENT)
    rating = PublishedRating.objects.filter(location=world.rated, is_current=True, key_question="overall").first()
    SpecialMeasures.objects.create(
        location=world.rated,
        provider=world.provider,
        published_rating=rating,
        reason=say("special measures reason"),
        entered_date=planted.SENT,
        review_by_date=planted.SENT + datetime.timedelta(days=182),
    )
    EscalationTask.objects.create(
        location=world.rated,
        provider=world.provider,
        kind=EscalationTaskKind.CONSIDER_REGULATION_17,
        published_rating=rating,
        reason=say("escalation reason"),
    )
    proposal = enforcement.action_record(
        by=world.boss,
        kind="notice_of_proposal",
        proposal="cancel",
        provider=world.provider,
        location=world.checking,
        summary=say("proposal summary"),
        reason=say("proposal reason"),
        breaches=[("17", "well_led")],
    )
    Appeal.objects.create(action=proposal, lodged_on=planted.SENT, recorded_by=world.boss, outcome_notes="x")
    assessment = world.draft_report.assessment
    statement = world.draft_report.sections.filter(statement__isnull=False).first().statement
    RatingDeparture.objects.create(
        assessment=assessment,
        key_question="safe",
        calculated_rating="good",
        rating="requires_improvement",
        rationale="x",
        by=world.boss,
        at=now,
    )
    StatementScoreChange.objects.create(
        assessment=world.published_report.assessment,
        statement=statement,
        from_score=3,
        to_score=2,
        reason="x",
        context="x",
        changed_by=world.boss,
        changed_at=now,
    )
    ExtraHoliday.objects.create(date=datetime.date(2027, 6, 7), name="x", created_by=world.boss)
    Team.objects.create(name="x", region="x", operations_manager=world.checker)
    location_rating_suspend(by=world.boss, location=world.drafting, reason=say("suspension reason"), today=planted.SENT)
    planted.scored(by=world.boss, location=world.other_location, say=say, public=False)  # in progress: score forms
    target = Deadline.objects.filter(object_id=str(world.draft_report.pk), state="open").first()
    deadline_pause(deadline=target, by=world.boss, reason=say("deadline pause reason"), today=planted.SENT)


def _plant(payloads: Payloads) -> dict[str, str]:
    """Write a payload into every typed field: of every row where someone typed something, or (for a field empty
    everywhere, such as an optional address line) of every row. Returns label -> tag of the fields planted."""
    planted_fields = {}
    for model, field in typed_fields():
        label = _label(model, field)
        manager = model._default_manager
        typed = manager.exclude(**{field.name: ""})
        rows = typed if typed.exists() else manager.all()
        if not rows.exists():
            continue
        text = payloads(label, max_length=field.max_length)
        try:
            with transaction.atomic():
                if field.unique:  # one value per row
                    for pk in rows.values_list("pk", flat=True):
                        value = f"{text}{pk}"
                        if field.max_length and len(value) > field.max_length:
                            value = payloads.SHORT.format(tag=payloads.tag(label)) + str(pk)
                        manager.filter(pk=pk).update(**{field.name: value})
                else:
                    rows.update(**{field.name: text})
        except IntegrityError:
            # A check constraint says the text comes only with its author (a response before anyone responded):
            # planted once a flow has written it. The coverage assertion catches one that never is.
            continue
        planted_fields[label] = payloads.tag(label)
    return planted_fields


@pytest.fixture
def clock():
    with time_machine.travel(planted.at(planted.SENT), tick=False) as traveller:
        yield traveller


# --- Pages ---------------------------------------------------------------------------------------------------------


def _portal_pages(client, world, people) -> dict[str, str]:
    """Every page of the URL conf, for every record of the world, as each person: label -> HTML."""
    pages = {}
    routes = planted.portal_routes()
    for person in people:
        client.logout()
        if person is not None:
            client.force_login(person)
        who = person.email if person is not None else "anonymous"
        for route in routes:
            for url in planted.route_urls(route, world, user=person):
                response = client.get(url)
                planted.release(response)
                if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                    pages[f"{who} {url}"] = response.content.decode()
    return pages


# Query parameters the portal's list, search and sign-in pages read; each is sent a payload to prove what a page
# repeats back from its address (a search box, a filter, a "next" link) is escaped too.
ECHOED_PARAMS = (
    "text",
    "postcode",
    "region",
    "service_type",
    "q",
    "next",
    "page",
    "location",
    "provider",
    "local_authority",
    "email",
    "kind",
    "team",
    "binds",
    "state",
    "when",
)


def _echo_pages(client, world, people, payloads: Payloads) -> dict[str, str]:
    """Every page without URL arguments, as each person, with every query parameter set to a payload."""
    from urllib.parse import urlencode

    query = urlencode({name: payloads(f"query:{name}") for name in ECHOED_PARAMS})
    pages = {}
    for person in people:
        client.logout()
        if person is not None:
            client.force_login(person)
        for route in planted.portal_routes():
            if route.params:
                continue
            url = f"{reverse(route.name)}?{query}"
            response = client.get(url)
            planted.release(response)
            if response.get("Content-Type", "").startswith("text/html"):
                pages[f"{person.email if person else 'anonymous'} {url[:60]}"] = response.content.decode()
    return pages


def _admin_pages(client, world) -> tuple[dict[str, str], list[str]]:
    """Django admin: every registered model's list (and a search), and the change and history pages of a few
    rows each, as a superuser. Returns (label -> HTML, the addresses that did not answer 200)."""
    client.force_login(world.boss)
    client.raise_request_exception = False  # one broken page must not hide the escaping of the others
    pages, broken = {}, []

    def fetch(url):
        response = client.get(url)
        if response.status_code == 200:
            pages[f"admin {url}"] = response.content.decode()
        else:
            broken.append(f"{url} ({response.status_code})")

    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        fetch(changelist)
        fetch(f"{changelist}?q=q0")
        for pk in model._default_manager.order_by("-pk").values_list("pk", flat=True)[:3]:
            for view in ("change", "history"):
                try:
                    fetch(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[pk]))
                except NoReverseMatch:
                    continue
    client.raise_request_exception = True
    return pages, broken


def _email_pages() -> dict[str, str]:
    """The HTML of every e-mail: as stored for the inbox, and as actually sent."""
    from cqcportal.notifications.models import Notification
    from cqcportal.notifications.services import notification_send

    pages = {}
    for row in Notification.objects.order_by("pk"):
        pages[f"stored e-mail {row.pk} {row.kind}"] = row.html_body
        if row.sent_at is None:
            notification_send(notification_id=row.pk)
    for n, message in enumerate(mail.outbox):
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                pages[f"sent e-mail {n} to {message.to[0]}: {message.subject[:40]}"] = str(content)
    return pages


def _check(pages: dict[str, str]) -> set[str]:
    """Assert no page shows planted text unescaped; return the tags seen escaped."""
    seen, problems = set(), {}
    for label, html in pages.items():
        found, tags = scan(html)
        seen |= tags
        if found:
            problems[label] = found[:3]
    assert not problems, f"planted script shown unescaped on {len(problems)} page(s): {problems}"
    return seen


@pytest.mark.django_db
def test_script_planted_in_every_typed_field_is_escaped_on_every_page_email_and_admin(
    client, clock, settings, tmp_path
):
    from cqcportal.alerts.services import digests_send_weekly

    settings.MEDIA_ROOT = tmp_path / "media"
    payloads = Payloads()
    names = {
        label: payloads(f"say:{label}")
        for label in ("provider", "other provider", "rated location", "checking location", "drafting location")
    }
    names |= {label: payloads(f"say:{label}") for label in ("staff", "manager", "colleague")}
    world = planted.build(payloads, names=names)
    _extra_rows(world, payloads)
    planted_fields = _plant(payloads)
    assert digests_send_weekly(week_start=datetime.date(2026, 12, 14)) >= 1
    people = [None, world.boss, world.manager, world.colleague]

    pages = _portal_pages(client, world, people)
    before = len(pages)
    assert before > 100
    seen = _check(pages)

    clock.move_to(planted.at(planted.SENT + datetime.timedelta(days=4)))
    planted.publish(world)
    planted_fields |= _plant(payloads)  # the rows publication made (responses, changes, versions) too
    assert digests_send_weekly(week_start=datetime.date(2026, 12, 21)) >= 1
    pages = _portal_pages(client, world, people)
    seen |= _check(pages)
    echoes = _echo_pages(client, world, [None, world.boss], payloads)
    _check(echoes)
    echoed = {payloads.tag(f"query:{name}") for name in ("text", "next")}
    assert echoed <= _check(echoes)  # the register search box and the sign-in page repeat them, escaped
    emails = _email_pages()
    assert len(emails) > 20
    seen |= _check(emails)
    admin_pages, broken = _admin_pages(client, world)
    seen |= _check(admin_pages)

    unseen = sorted(label for label, tag in planted_fields.items() if tag not in seen and label not in NOT_SHOWN)
    rowless = sorted(_label(m, f) for m, f in typed_fields() if _label(m, f) not in planted_fields)
    assert not (broken or unseen or rowless), (
        f"admin pages that failed: {broken}; planted but never seen on a page: {unseen}; "
        f"typed fields with no row in the world to plant: {rowless}"
    )
    said = [label for label in payloads.tags if label not in planted_fields and not label.startswith("query:")]
    print(
        f"\n{len(planted_fields)} fields planted, {len(said)} texts typed through the services; {before} portal pages "
        f"before publication and {len(pages)} after, {len(echoes)} with planted query strings, {len(emails)} e-mails, "
        f"{len(admin_pages)} admin pages"
    )
