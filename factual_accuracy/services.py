"""Writes for reports: every transition locks the row, checks who may act, audits, and queues e-mail after commit.

This is the first slice of the report flow (issue 5): the state machine on the clock. Report sections,
provider comments, uploads, responses and the public report page come next.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from assessments.models import Assessment, AssessmentState
from cqcportal.accounts import rules as perms
from cqcportal.alerts.services import public_event_record
from cqcportal.audit.services import audit_event_record
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import Deadline
from cqcportal.deadlines.registry import on_expiry
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_meet, deadline_open
from factual_accuracy.models import Report, ReportSection, ReportState


class ReportCannotChange(Exception):
    """The report is not in a state, or the person not in a role, that allows this; the message says which."""


def _staff(by) -> None:
    if not perms.is_regulator_staff(by):
        raise ReportCannotChange("Only the regulator's staff can do this.")


def _move(report: Report, *, by, transition: str, action: str, reason: str = "", on_behalf_of=None, **kwargs) -> Report:
    """Lock the report, check the transition is allowed from its current state, apply it, save and audit."""
    locked = Report.objects.select_for_update().select_related("location", "assessment").get(pk=report.pk)
    method = getattr(locked, transition)
    if not can_proceed(method):
        raise ReportCannotChange(f"This report is {locked.get_state_display().lower()}; that cannot happen now.")
    before = locked.state
    method(**kwargs)
    locked.save()
    audit_event_record(
        by=by,
        on_behalf_of=on_behalf_of,
        subject=locked,
        action=action,
        from_state=before,
        to_state=locked.state,
        reason=reason,
    )
    return locked


def report_create(*, by, assessment: Assessment) -> Report:
    """Start drafting the report of a completed assessment.

    :raises ReportCannotChange: when the assessment is not completed or already has a live report.
    """
    _staff(by)
    if assessment.state != AssessmentState.COMPLETED:
        raise ReportCannotChange("A report is drafted once the assessment is completed.")
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        if Report.objects.filter(assessment=assessment).exclude(state=ReportState.WITHDRAWN).exists():
            raise ReportCannotChange("This assessment already has a report.")
        report = Report.objects.create(
            assessment=assessment, location=assessment.location, provider=assessment.provider, created_by=by
        )
        _sections_from_assessment(report)
        audit_event_record(by=by, subject=report, action="report.create", to_state=report.state)
        deadline_open(
            case=report,
            kind=Kind.PUBLICATION_TARGET,
            start_date=assessment.onsite_end_date or timezone.localdate(assessment.completed_at),
            case_description=f"Publish the report on {assessment.location.name}",
            case_url=reverse("factual_accuracy:report", args=[report.pk]),
            location=assessment.location,
            owner=assessment.lead,
            by=by,
        )
    return report


def _sections_from_assessment(report: Report) -> None:
    """Start the draft from the assessment: the overall rating, each key question and each statement assessed."""
    from assessments.models import StatementScore
    from assessments.working import location_working

    working = location_working(report.location, preview=report.assessment)
    scores = {
        s.statement_id: s
        for s in StatementScore.objects.filter(assessment=report.assessment).select_related("statement")
    }
    sections = [
        ReportSection(
            report=report,
            order=0,
            kind=ReportSection.Kind.OVERALL,
            title="Overall summary",
            rating=working.overall.slug if working.overall else "",
            body="",
        )
    ]
    for kq in working.key_questions:
        sections.append(
            ReportSection(
                report=report,
                order=len(sections),
                kind=ReportSection.Kind.KEY_QUESTION,
                key_question=kq.key_question,
                title=kq.label,
                rating=kq.rating.slug if kq.rating else "",
                score=kq.result.published_score if kq.result else None,
                body=kq.explanation,
            )
        )
        for line in kq.lines:
            score = scores.get(line.statement.pk)
            if score is None:
                continue
            sections.append(
                ReportSection(
                    report=report,
                    order=len(sections),
                    kind=ReportSection.Kind.STATEMENT,
                    key_question=kq.key_question,
                    statement=line.statement,
                    title=line.statement.name,
                    score=score.score,
                    body="\n\n".join(p for p in (score.judgement, score.summary) if p),
                )
            )
    ReportSection.objects.bulk_create(sections)


def report_submit_for_quality_review(*, by, report: Report) -> Report:
    """Send the draft to quality review. :raises ReportCannotChange: when it is not being drafted."""
    _staff(by)
    with transaction.atomic():
        return _move(report, by=by, transition="submit_for_quality_review", action="report.quality_review.submit")


def report_quality_review_return(*, by, report: Report, comments: str) -> Report:
    """Return the draft to drafting with the reviewer's comments.

    :raises ReportCannotChange: when there are no comments, or the report is not in quality review.
    """
    _staff(by)
    if not comments.strip():
        raise ReportCannotChange("Write what needs to change before returning the draft.")
    with transaction.atomic():
        return _move(
            report,
            by=by,
            transition="return_to_drafting",
            action="report.quality_review.return",
            reason=comments,
            comments=comments.strip(),
        )


def report_quality_review_pass(*, by, report: Report) -> Report:
    """Pass quality review. :raises ReportCannotChange: when the report is not in quality review."""
    _staff(by)
    with transaction.atomic():
        return _move(report, by=by, transition="pass_quality_review", action="report.quality_review.pass")


def report_send_for_factual_accuracy(*, by, report: Report, today: datetime.date) -> Report:
    """Send the draft to the provider: the 10-working-day factual accuracy check starts from today.

    :raises ReportCannotChange: when the report has not passed quality review.
    """
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    now = timezone.now()
    with transaction.atomic():
        locked = _move(
            report, by=by, transition="send_for_factual_accuracy", action="report.factual_accuracy.send", at=now
        )
        deadline = deadline_open(
            case=locked,
            kind=Kind.FACTUAL_ACCURACY_CHECK,
            start_date=today,
            case_description=f"Factual accuracy check of the report on {locked.location.name}",
            case_url=reverse("factual_accuracy:report", args=[locked.pk]),
            location=locked.location,
            owner=locked.assessment.lead,
            by=by,
        )
        for person in deadline_selectors.provider_contacts(
            provider_id=locked.provider_id, location_id=locked.location_id, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"Draft report on {locked.location.name}: check it by {deadline.due_date:%-d %B %Y}",
                body=f"Our draft report on {locked.location.name} is ready for you to check for factual accuracy.\n\n"
                f"Please tell us of any factual inaccuracies by the end of {deadline.due_date:%A %-d %B %Y}, "
                f"or tell us there are none.\n\nHow this date was worked out: {deadline.explanation}",
                kind="report.factual_accuracy.sent",
                link_url=reverse("factual_accuracy:report", args=[locked.pk]),
                dedupe_key=f"report:{locked.pk}:fa-sent:{person.pk}",
            )
    return locked


def factual_accuracy_confirm_no_inaccuracies(*, by, report: Report, today: datetime.date) -> Report:
    """The provider confirms there are no factual inaccuracies: the check closes at once.

    :raises ReportCannotChange: when the person is not a registered person (or their delegate), or the
        check is not open (closed already, or its deadline has passed).
    """
    allowed, on_behalf_of = perms.can_act_as_registered_person(by, report, today=today)
    if not allowed:
        raise ReportCannotChange(
            "Only a registered person, or a colleague they have named as their delegate, can close the check."
        )
    now = timezone.now()
    with transaction.atomic():
        window = deadline_selectors.live_deadline_for(report, Kind.FACTUAL_ACCURACY_CHECK)
        if window is not None:
            Deadline.objects.select_for_update(of=("self",)).filter(pk=window.pk).first()
            if window.state == "open" and now > window.due_at:
                raise ReportCannotChange(
                    f"The check closed at the end of {window.due_date:%-d %B %Y}; we can no longer take responses."
                )
        locked = _move(
            report,
            by=by,
            on_behalf_of=on_behalf_of,
            transition="close_no_inaccuracies",
            action="report.factual_accuracy.no_inaccuracies",
            at=now,
        )
        if window is not None:
            deadline_meet(deadline=window, by=by, on_behalf_of=on_behalf_of, at=now)
    return locked


@on_expiry(Kind.FACTUAL_ACCURACY_CHECK)
def factual_accuracy_close_no_response(*, deadline, now: datetime.datetime) -> None:
    """The 10 working days passed with no response: the check closes (run by the sweep)."""
    report = Report.objects.select_for_update().get(pk=deadline.object_id)
    if not can_proceed(report.close_no_response):
        return
    before = report.state
    report.close_no_response(at=now)
    report.save()
    audit_event_record(
        by=None,
        subject=report,
        action="report.factual_accuracy.no_response",
        from_state=before,
        to_state=report.state,
        reason=f"No response by the end of {deadline.due_date:%-d %B %Y}.",
    )


def report_mark_ready_to_publish(*, by, report: Report) -> Report:
    """After a check closed with no inaccuracies or no response. :raises ReportCannotChange: otherwise."""
    _staff(by)
    with transaction.atomic():
        return _move(report, by=by, transition="mark_ready_to_publish", action="report.ready")


def report_independent_check_pass(*, by, report: Report) -> Report:
    """A colleague who was not on the assessment team passes the responses to the provider's comments.

    :raises ReportCannotChange: when the checker was on the assessment team, or it is not waiting for a check.
    """
    _staff(by)
    assessment = report.assessment
    if by.pk == assessment.lead_id or assessment.team.filter(user=by).exists():
        raise ReportCannotChange("The independent check must be done by someone who was not on the assessment team.")
    with transaction.atomic():
        return _move(
            report, by=by, transition="pass_independent_check", action="report.independent_check.pass", checker=by
        )


def report_publish(*, by, report: Report) -> Report:
    """Publish the report; its publication target is met and the weekly alerts will list it.

    :raises ReportCannotChange: when it is not ready to publish.
    """
    _staff(by)
    now = timezone.now()
    with transaction.atomic():
        locked = _move(report, by=by, transition="publish", action="report.publish", at=now)
        target = deadline_selectors.live_deadline_for(locked, Kind.PUBLICATION_TARGET)
        if target is not None:
            deadline_meet(deadline=target, by=by, at=now)
        public_event_record(
            location=locked.location,
            kind="report_published",
            occurred_at=now,
            title=f"Report on {locked.location.name} published",
            url=reverse("register:location", args=[locked.location.cqc_id]),
            dedupe_key=f"report:{locked.pk}:published",
        )
    return locked
