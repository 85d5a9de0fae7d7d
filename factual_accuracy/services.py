"""Writes for reports: every transition locks the row, checks who may act, audits, and queues e-mail after commit.

Staff draft, review, respond and publish; the provider comments, uploads, asks and submits during the factual
accuracy check. The check's window is judged by the server's clock in Europe/London (the deadline's ``due_at``).
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
from cqcportal.audit.services import audit_event_build, audit_event_record, audit_events_record_many
from cqcportal.core.compiled import matches_any
from cqcportal.core.transitions import transition_many
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import Deadline
from cqcportal.deadlines.registry import on_expiry_many
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_meet, deadline_open
from factual_accuracy.models import (
    COMMENT_MAX_CHARS,
    QUESTION_MAX_CHARS,
    Comment,
    CorrectionKind,
    ExtensionRequest,
    InformationQuery,
    Report,
    ReportSection,
    ReportState,
    ReportVersion,
    ResponseOutcome,
    Submission,
    SupportingFile,
)
from factual_accuracy.uploads import FileCannotUpload, check_upload

__all__ = ["FileCannotUpload"]


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
        ),
        ReportSection(
            report=report, order=1, kind=ReportSection.Kind.PEOPLES_EXPERIENCE, title="People's experience", body=""
        ),
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
        _freeze(locked, by=by, reason="Sent to the provider for the factual accuracy check", now=now)
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
        # Lock the report before its deadline, in the same order as sending comments, so the two cannot deadlock.
        locked = Report.objects.select_for_update().get(pk=report.pk)
        window = _open_window(locked, now)
        locked = _move(
            locked,
            by=by,
            on_behalf_of=on_behalf_of,
            transition="close_no_inaccuracies",
            action="report.factual_accuracy.no_inaccuracies",
            at=now,
        )
        if window is not None:
            deadline_meet(deadline=window, by=by, on_behalf_of=on_behalf_of, at=now)
    return locked


@on_expiry_many(Kind.FACTUAL_ACCURACY_CHECK)
def factual_accuracy_close_no_response(*, deadlines, now: datetime.datetime) -> None:
    """The 10 working days passed with no response: each check still open closes, audited (run by the sweep,
    which holds the reports' locks)."""
    due_dates = {int(d.object_id): d.due_date for d in deadlines}
    reports = list(
        Report.objects.select_for_update(of=("self",))
        .select_related("location")
        .filter(matches_any(Report, "id", due_dates))
    )
    before = {report.pk: report.state for report in reports}
    closed = transition_many(
        reports, transition="close_no_response", fields=["state", "factual_accuracy_closed_at"], at=now
    )
    audit_events_record_many(
        [
            audit_event_build(
                by=None,
                subject=report,
                action="report.factual_accuracy.no_response",
                from_state=before[report.pk],
                to_state=report.state,
                reason=f"No response by the end of {due_dates[report.pk]:%-d %B %Y}.",
            )
            for report in closed
        ]
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
    _independent(by, report)
    with transaction.atomic():
        return _move(
            report, by=by, transition="pass_independent_check", action="report.independent_check.pass", checker=by
        )


def report_independent_check_return(*, by, report: Report, comments: str) -> Report:
    """The independent checker sends the responses back to the team with what to change.

    :raises ReportCannotChange: when the checker was on the team, gave no comments, or no check is waiting.
    """
    _independent(by, report)
    if not comments.strip():
        raise ReportCannotChange("Write what the team needs to change before returning the responses.")
    with transaction.atomic():
        locked = _move(
            report,
            by=by,
            transition="return_from_check",
            action="report.independent_check.return",
            reason=comments.strip(),
        )
        Report.objects.filter(pk=locked.pk).update(quality_review_comments=comments.strip()[:5000])
    return locked


def _independent(by, report: Report) -> None:
    _staff(by)
    assessment = report.assessment
    if by.pk == assessment.lead_id or assessment.team.filter(user=by).exists():
        raise ReportCannotChange("The independent check must be done by someone who was not on the assessment team.")


def report_publish(*, by, report: Report) -> Report:
    """Publish the report: it goes on the location's public profile with its ratings, the publication target is
    met, the provider is told (with the responses to their comments) and the weekly alerts will list it.

    :raises ReportCannotChange: when it is not ready to publish.
    """
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        locked = _move(report, by=by, transition="publish", action="report.publish", at=now)
        _freeze(locked, by=by, reason="Published", now=now, only_if_changed=True)
        if _ratings_publish(locked, today=today):
            from assessments.review_services import request_window_open
            from enforcement.special_measures import special_measures_check

            request_window_open(locked)  # 15 working days to ask for a review of the ratings
            special_measures_check(location=locked.location, by=by, today=today)  # inadequate, or RI again
        target = deadline_selectors.live_deadline_for(locked, Kind.PUBLICATION_TARGET)
        if target is not None:
            deadline_meet(deadline=target, by=by, at=now)
        public_url = reverse("public:report", args=[locked.location.cqc_id, locked.pk])
        public_event_record(
            location=locked.location,
            kind="report_published",
            occurred_at=now,
            title=f"Report on {locked.location.name} published",
            url=public_url,
            dedupe_key=f"report:{locked.pk}:published",
        )
        answered = locked.comments.exclude(outcome="").count()
        for person in deadline_selectors.provider_contacts(
            provider_id=locked.provider_id, location_id=locked.location_id, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"Report on {locked.location.name} published",
                body=f"We have published our report on {locked.location.name}."
                + (
                    f"\n\nOur responses to your {answered} factual accuracy comment(s) are with the report."
                    if answered
                    else ""
                ),
                kind="report.published",
                link_url=reverse("factual_accuracy:report", args=[locked.pk]),
                dedupe_key=f"report:{locked.pk}:published:{person.pk}",
            )
    return locked


def _ratings_publish(report: Report, *, today: datetime.date) -> bool:
    """The report's ratings become the location's published ratings (the previous ones stay in the history);
    False when the report gave no ratings."""
    from cqcportal.register.models import KeyQuestion, PublishedRating

    rows = {
        "overall" if s.kind == ReportSection.Kind.OVERALL else s.key_question: s.rating
        for s in report.sections.filter(kind__in=[ReportSection.Kind.OVERALL, ReportSection.Kind.KEY_QUESTION])
        if s.rating
    }
    if not rows:
        return False  # a service that is not rated: nothing to publish on the rating badges
    PublishedRating.objects.filter(location_id=report.location_id, is_current=True, key_question__in=rows).update(
        is_current=False
    )
    PublishedRating.objects.bulk_create(
        PublishedRating(
            location_id=report.location_id,
            key_question=KeyQuestion.OVERALL if kq == "overall" else kq,
            rating=rating,
            report_date=today,
            report_link_id=str(report.pk),
            source=PublishedRating.Source.ASSESSMENT,
        )
        for kq, rating in rows.items()
    )
    return True


def report_withdraw(*, by, report: Report, reason: str, seen_state: str | None = None) -> Report:
    """Withdraw a report that will not be published (a new one may be drafted); its open deadlines are cancelled.

    ``seen_state`` is the state the person saw when they decided; withdrawal is possible from many states, so
    a report that moved meanwhile (the provider sent comments) is refused and they are told.
    :raises ReportCannotChange: when there is no reason, ``by`` is not a senior manager, it is published, or
        it changed since ``seen_state``.
    """
    from cqcportal.deadlines.services import deadline_cancel

    if not perms.is_senior_staff(by):
        raise ReportCannotChange("Only an operations manager or a more senior colleague can withdraw a report.")
    if not reason.strip():
        raise ReportCannotChange("Say why the report is withdrawn.")
    with transaction.atomic():
        current = Report.objects.select_for_update().get(pk=report.pk)
        if seen_state is not None and current.state != seen_state:
            raise ReportCannotChange(
                f"The report changed while you were deciding: it is now {current.get_state_display().lower()}. "
                "Check it, then withdraw it if you still need to."
            )
        locked = _move(
            report, by=by, transition="withdraw", action="report.withdraw", reason=reason.strip(), why=reason
        )
        for deadline in deadline_selectors.deadlines_for_case(locked).filter(state__in=["open", "paused"]):
            deadline_cancel(deadline=deadline, by=by, reason=f"Report withdrawn: {reason.strip()}")
    return locked


# --- Versions ---------------------------------------------------------------------------------------------


def _freeze(report: Report, *, by, reason: str, now: datetime.datetime, only_if_changed: bool = False):
    """Keep a frozen copy of the sections as they are now; with ``only_if_changed``, only if they changed."""
    snapshot = [s.snapshot() for s in report.sections.order_by("order")]
    last = report.versions.order_by("-number").first()
    if only_if_changed and last is not None and last.sections == snapshot:
        return last
    return ReportVersion.objects.create(
        report=report,
        number=(last.number + 1) if last else 1,
        reason=reason,
        sections=snapshot,
        created_by=by,
        created_at=now,
    )


# --- Staff editing and responding ---------------------------------------------------------------------------

EDITABLE = (ReportState.DRAFTING, ReportState.RESPONDING)


def section_edit(*, by, section: ReportSection, body: str) -> ReportSection:
    """Change a section's text while the report is being drafted or amended after the provider's comments.

    :raises ReportCannotChange: when the report is in another state, or ``by`` may not conduct the assessment.
    """
    _staff(by)
    report = section.report
    if not by.has_perm("assessments.conduct", report.assessment):
        raise ReportCannotChange("Only the assessment's lead, its team or a senior manager can edit the report.")
    if len(body) > 20000:
        raise ReportCannotChange("A section must be 20,000 characters or fewer.")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state not in EDITABLE:
            raise ReportCannotChange(
                f"This report is {locked.get_state_display().lower()}; it can be edited while being drafted or "
                "while responding to comments."
            )
        row = ReportSection.objects.select_for_update().get(pk=section.pk, report=locked)
        if row.body != body:
            row.body = body
            row.save(update_fields=["body"])
            audit_event_record(
                by=by, subject=locked, action="report.section.edit", data={"section": row.key, "title": row.title}
            )
    return row


def comment_respond(*, by, comment: Comment, outcome: str, response: str) -> Comment:
    """Answer one of the provider's comments: accepted, partly accepted or not accepted, with reasons.

    :raises ReportCannotChange: when the outcome or reasons are missing, or the report is not being responded to.
    """
    _staff(by)
    if outcome not in ResponseOutcome.values:
        raise ReportCannotChange("Choose whether the comment is accepted, partly accepted or not accepted.")
    if not response.strip():
        raise ReportCannotChange("Give the reasons for your response: the provider will read them.")
    if len(response) > 5000:
        raise ReportCannotChange("A response must be 5,000 characters or fewer.")
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=comment.report_id)
        if locked.state != ReportState.RESPONDING:
            raise ReportCannotChange(
                f"This report is {locked.get_state_display().lower()}; comments are answered while responding."
            )
        row = Comment.objects.select_for_update().get(pk=comment.pk)
        if row.submission_id is None:
            raise ReportCannotChange("This comment was never sent to us.")
        before = row.outcome
        row.outcome, row.response, row.responded_by, row.responded_at = outcome, response.strip(), by, now
        row.full_clean()
        row.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="report.comment.respond",
            from_state=before,
            to_state=outcome,
            data={"comment": row.pk},
        )
    return row


def report_start_responding(*, by, report: Report) -> Report:
    """Start answering the provider's comments. :raises ReportCannotChange: unless comments were received."""
    _staff(by)
    with transaction.atomic():
        return _move(report, by=by, transition="start_responding", action="report.responding.start")


def report_statement_rescore(*, by, section: ReportSection, score: int, reason: str) -> ReportSection:
    """Amend a statement's score after the provider's comments; the report's ratings and the location's working
    are recalculated and show what changed and why.

    :raises ReportCannotChange: when the report is not being responded to, or the score cannot change.
    """
    from assessments.models import StatementScoreChange
    from assessments.services import StatementScoreCannotSave, statement_score_amend

    _staff(by)
    if section.kind != ReportSection.Kind.STATEMENT:
        raise ReportCannotChange("Only a quality statement has a score to amend.")
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("assessment", "location").get(pk=section.report_id)
        if locked.state != ReportState.RESPONDING:
            raise ReportCannotChange("Scores are amended while responding to the provider's comments.")
        try:
            statement_score_amend(
                by=by,
                assessment=locked.assessment,
                statement=section.statement,
                score=score,
                reason=reason,
                context=StatementScoreChange.Context.FACTUAL_ACCURACY,
            )
        except StatementScoreCannotSave as exc:
            raise ReportCannotChange(str(exc)) from exc
        _ratings_refresh(locked)
    return ReportSection.objects.get(pk=section.pk)


def _ratings_refresh(report: Report) -> None:
    """Bring the sections' scores and ratings up to date with the assessment's (amended) scores."""
    from assessments.models import StatementScore
    from assessments.working import location_working

    working = location_working(report.location, preview=report.assessment)
    by_kq = {kq.key_question: kq for kq in working.key_questions}
    scores = dict(StatementScore.objects.filter(assessment=report.assessment).values_list("statement_id", "score"))
    for section in report.sections.select_for_update():
        if section.kind == ReportSection.Kind.OVERALL:
            section.rating = working.overall.slug if working.overall else ""
        elif section.kind == ReportSection.Kind.KEY_QUESTION and section.key_question in by_kq:
            kq = by_kq[section.key_question]
            section.rating = kq.rating.slug if kq.rating else ""
            section.score = kq.result.published_score if kq.result else None
        elif section.kind == ReportSection.Kind.STATEMENT and section.statement_id in scores:
            section.score = scores[section.statement_id]
        else:
            continue
        section.save(update_fields=["rating", "score"])


def report_send_for_independent_check(*, by, report: Report) -> Report:
    """Send the responses for an independent check; the amended report is frozen as a new version.

    :raises ReportCannotChange: when a comment has no response yet, or it is not being responded to.
    """
    _staff(by)
    now = timezone.now()
    with transaction.atomic():
        Report.objects.select_for_update().filter(pk=report.pk).first()
        waiting = Comment.objects.filter(report_id=report.pk, submission__isnull=False, outcome="").count()
        if waiting:
            raise ReportCannotChange(f"{waiting} comment(s) still need a response.")
        locked = _move(report, by=by, transition="send_for_independent_check", action="report.independent_check.send")
        _freeze(locked, by=by, reason="Amended after the provider's comments", now=now, only_if_changed=True)
    return locked


# --- The provider's side of the check ----------------------------------------------------------------------


def _open_window(report: Report, now: datetime.datetime) -> Deadline:
    """The check's deadline, if the check is open now; else a plain refusal (the drafts stay readable)."""
    if report.state != ReportState.OUT_FOR_FACTUAL_ACCURACY:
        submission = Submission.objects.filter(report_id=report.pk).select_related("submitted_by").first()
        if submission is not None:
            raise ReportCannotChange(
                f"{submission.submitted_by.full_name} sent your comments to us at "
                f"{timezone.localtime(submission.submitted_at):%H:%M on %-d %B %Y}. The check is closed; "
                "your comments are shown below."
            )
        reason = {
            ReportState.FA_CLOSED_NO_INACCURACIES: " because you told us there are no factual inaccuracies",
            ReportState.FA_CLOSED_NO_RESPONSE: " because its deadline passed with no response",
        }.get(report.state, "")
        raise ReportCannotChange(
            f"The factual accuracy check is closed{reason}. "
            "You can still read your drafts, but not change or send them."
        )
    window = deadline_selectors.live_deadline_for(report, Kind.FACTUAL_ACCURACY_CHECK)
    if window is not None and now > window.due_at:
        raise ReportCannotChange(
            f"The factual accuracy check closed at the end of {window.due_date:%A %-d %B %Y}. "
            "We can no longer take comments; your drafts are kept below so you can still read them."
        )
    return window


def _provider_colleague(by, report: Report) -> None:
    if not perms.is_provider_user(by) or not perms.belongs_to_same_provider(by, report):
        raise ReportCannotChange("Only the provider's own staff can comment on its draft report.")


def comment_save(
    *, by, report: Report, section: ReportSection, kind: str, text: str, comment: Comment | None = None
) -> Comment:
    """Save a draft comment on a section (new, or an edit of a draft): any colleague at the provider may draft.

    :raises ReportCannotChange: when the text is empty or too long, the kind is missing, or the check is closed.
    """
    _provider_colleague(by, report)
    if kind not in CorrectionKind.values:
        raise ReportCannotChange("Choose the kind of correction.")
    text = text.strip()
    if not text:
        raise ReportCannotChange("Write your comment.")
    if len(text) > COMMENT_MAX_CHARS:
        raise ReportCannotChange(
            f"Your comment is {len(text):,} characters; it must be {COMMENT_MAX_CHARS:,} or fewer. "
            "It has not been saved: shorten it and save again."
        )
    if section.report_id != report.pk:
        raise ReportCannotChange("That section is not part of this report.")
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        _open_window(locked, now)
        if comment is None:
            row = Comment.objects.create(
                report=locked,
                section=section,
                kind=kind,
                text=text,
                created_by=by,
                created_at=now,
                updated_by=by,
                updated_at=now,
            )
        else:
            row = Comment.objects.select_for_update().get(pk=comment.pk, report=locked)
            if row.submission_id is not None:
                raise ReportCannotChange("This comment has been sent to us and can no longer be changed.")
            row.kind, row.text, row.updated_by, row.updated_at = kind, text, by, now
            row.save()
    return row


def comment_delete(*, by, comment: Comment) -> None:
    """Delete a draft comment and its files. :raises ReportCannotChange: once it is sent or the check is closed."""
    _provider_colleague(by, comment.report)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=comment.report_id)
        _open_window(locked, timezone.now())
        row = Comment.objects.select_for_update().get(pk=comment.pk)
        if row.submission_id is not None:
            raise ReportCannotChange("This comment has been sent to us and can no longer be deleted.")
        files = [f.file.name for f in row.files.all()]
        row.delete()
        transaction.on_commit(lambda: _files_delete(files))


def _files_delete(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


MAX_FILES_PER_COMMENT = 10


def supporting_file_add(*, by, comment: Comment, upload) -> SupportingFile:
    """Attach a file of evidence to a draft comment, after checking its content, size and name.

    :raises FileCannotUpload: when the file is empty, too big or not a type we take (the comment is kept).
    :raises ReportCannotChange: when the comment is sent or the check is closed.
    """
    import hashlib

    from django.core.files.base import File

    _provider_colleague(by, comment.report)
    checked = check_upload(upload, name=upload.name or "", size=upload.size or 0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    now = timezone.now()
    saved: list[str] = []
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=comment.report_id)
            _open_window(locked, now)
            row = Comment.objects.select_for_update().get(pk=comment.pk)
            if row.submission_id is not None:
                raise ReportCannotChange("This comment has been sent to us; files can no longer be added.")
            if row.files.count() >= MAX_FILES_PER_COMMENT:
                raise FileCannotUpload(f"A comment can have at most {MAX_FILES_PER_COMMENT} files.")
            item = SupportingFile(
                comment=row,
                name=checked.safe_name,
                file_type=checked.file_type,
                size=checked.size,
                sha256=digest.hexdigest(),
                uploaded_by=by,
                uploaded_at=now,
            )
            item.file.save(checked.safe_name, File(upload), save=False)
            saved.append(item.file.name)
            item.save()
            audit_event_record(
                by=by, subject=locked, action="report.file.upload", data={"comment": row.pk, "file": item.name}
            )
    except Exception:
        _files_delete(saved)  # the row was rolled back: do not keep an orphan file
        raise
    return item


def supporting_file_remove(*, by, item: SupportingFile) -> None:
    """Remove a file from a draft comment. :raises ReportCannotChange: once sent or the check is closed."""
    comment = item.comment
    _provider_colleague(by, comment.report)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=comment.report_id)
        _open_window(locked, timezone.now())
        if Comment.objects.filter(pk=comment.pk, submission__isnull=False).exists():
            raise ReportCannotChange("This comment has been sent to us; its files can no longer be removed.")
        name = item.file.name
        SupportingFile.objects.filter(pk=item.pk).delete()
        transaction.on_commit(lambda: _files_delete([name]))


def factual_accuracy_submit(*, by, report: Report, today: datetime.date) -> Submission:
    """Send the provider's comments: the check closes with comments received and the assessment team is told.

    :raises ReportCannotChange: when ``by`` is not a registered person or their delegate, there is nothing to
        send, someone sent them already, or the check has closed (judged by the server's clock).
    """
    from cqcportal.notifications.services import notification_queue

    allowed, on_behalf_of = perms.can_act_as_registered_person(by, report, today=today)
    if not allowed:
        raise ReportCannotChange(
            "Only a registered person, or a colleague they have named as their delegate, can send the comments. "
            "Your drafts are saved: ask them to review and send."
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("location", "assessment").get(pk=report.pk)
        window = _open_window(locked, now)
        drafts = Comment.objects.filter(report=locked, submission__isnull=True)
        count = drafts.count()
        if not count:
            raise ReportCannotChange(
                "There are no comments to send. Add a comment to a section, or tell us there are no factual "
                "inaccuracies."
            )
        submission = Submission.objects.create(
            report=locked, submitted_by=by, on_behalf_of=on_behalf_of, submitted_at=now
        )
        drafts.update(submission=submission)
        locked = _move(
            locked,
            by=by,
            on_behalf_of=on_behalf_of,
            transition="close_with_comments",
            action="report.factual_accuracy.submit",
            reason=f"{count} comment(s) sent.",
            at=now,
        )
        if window is not None:
            deadline_meet(deadline=window, by=by, on_behalf_of=on_behalf_of, at=now)
        for person in _assessment_team_users(locked):
            notification_queue(
                recipient=person,
                subject=f"Factual accuracy comments received: {locked.location.name}",
                body=f"{locked.provider.name} sent {count} factual accuracy comment(s) on the draft report on "
                f"{locked.location.name}. Respond to each one, amend the report, and send it for an independent "
                "check.",
                kind="report.factual_accuracy.comments",
                link_url=reverse("factual_accuracy:report", args=[locked.pk]),
                dedupe_key=f"report:{locked.pk}:comments:{person.pk}",
            )
    return submission


def _assessment_team_users(report: Report) -> list:
    from cqcportal.accounts.models import User

    assessment = report.assessment
    ids = set(assessment.team.exclude(user__isnull=True).values_list("user_id", flat=True))
    if assessment.lead_id:
        ids.add(assessment.lead_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def extension_request(*, by, report: Report, reason: str, today: datetime.date) -> ExtensionRequest:
    """Ask for more time for the check, with the reason (granted only in exceptional circumstances).

    :raises ReportCannotChange: when ``by`` is not a registered person or delegate, there is no reason, a
        request is already waiting, or the check is closed.
    """
    from cqcportal.notifications.services import notification_queue

    allowed, on_behalf_of = perms.can_act_as_registered_person(by, report, today=today)
    if not allowed:
        raise ReportCannotChange(
            "Only a registered person, or a colleague they have named as their delegate, can ask for more time."
        )
    reason = reason.strip()
    if not reason:
        raise ReportCannotChange("Tell us why you need more time.")
    if len(reason) > 1000:
        raise ReportCannotChange("The reason must be 1,000 characters or fewer.")
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("location", "assessment").get(pk=report.pk)
        window = _open_window(locked, now)
        if window is None:
            raise ReportCannotChange("This check has no deadline to extend.")
        if ExtensionRequest.objects.filter(report=locked, state=ExtensionRequest.State.PENDING).exists():
            raise ReportCannotChange("You have already asked for more time; we will tell you our decision.")
        row = ExtensionRequest.objects.create(
            report=locked, reason=reason, requested_by=by, requested_at=now, due_date_when_asked=window.due_date
        )
        audit_event_record(
            by=by, on_behalf_of=on_behalf_of, subject=locked, action="report.extension.request", reason=reason
        )
        for person in _assessment_team_users(locked)[:1] or []:
            notification_queue(
                recipient=person,
                subject=f"Extension asked for: factual accuracy check of {locked.location.name}",
                body=f"{by.full_name} asked for more time to check the draft report on {locked.location.name} "
                f"(due by the end of {window.due_date:%-d %B %Y}).\n\nTheir reason: {reason}\n\n"
                "Extensions are granted only in exceptional circumstances.",
                kind="report.extension.requested",
                link_url=reverse("factual_accuracy:report", args=[locked.pk]),
                dedupe_key=f"extension:{row.pk}:asked",
            )
    return row


def extension_decide(
    *, by, request: ExtensionRequest, grant: bool, reason: str, today: datetime.date, new_due_date=None
) -> ExtensionRequest:
    """Grant (with a new date) or refuse an extension; both dates stay on record and the provider is told.

    :raises ReportCannotChange: when it was decided already, there is no reason, the check has closed, or the
        new date is not a later working day.
    """
    from cqcportal.deadlines.services import DeadlineCannotChange, deadline_extend
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    if not reason.strip():
        raise ReportCannotChange("Give the reason for your decision: the provider will read it.")
    if grant and new_due_date is None:
        raise ReportCannotChange("Choose the new date for the end of the check.")
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("location").get(pk=request.report_id)
        row = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if row.state != ExtensionRequest.State.PENDING:
            raise ReportCannotChange(
                f"{row.decided_by.full_name} already decided this request ({row.get_state_display().lower()})."
            )
        if grant:
            window = _open_window(locked, now)
            try:
                deadline_extend(deadline=window, by=by, new_due_date=new_due_date, reason=reason.strip(), today=today)
            except DeadlineCannotChange as exc:
                raise ReportCannotChange(str(exc)) from exc
            row.new_due_date = new_due_date
        row.state = ExtensionRequest.State.GRANTED if grant else ExtensionRequest.State.REFUSED
        row.decided_by, row.decided_at, row.decision_reason = by, now, reason.strip()[:1000]
        row.save()
        audit_event_record(
            by=by, subject=locked, action="report.extension.decide", to_state=row.state, reason=reason.strip()
        )
        outcome = (
            f"We have given you until the end of {new_due_date:%A %-d %B %Y}."
            if grant
            else f"We have not extended the check: it still closes at the end of {row.due_date_when_asked:%-d %B %Y}."
        )
        notification_queue(
            recipient=row.requested_by,
            subject=f"Your request for more time: {locked.location.name}",
            body=f"{outcome}\n\nOur reason: {reason.strip()}",
            kind="report.extension.decided",
            link_url=reverse("factual_accuracy:report", args=[locked.pk]),
            dedupe_key=f"extension:{row.pk}:decided",
        )
    return row


def query_ask(*, by, report: Report, question: str, section: ReportSection | None = None) -> InformationQuery:
    """Ask the assessment team for information needed to check a point; short and specific.

    :raises ReportCannotChange: when the question is empty or too long, or the check is closed.
    """
    from cqcportal.notifications.services import notification_queue

    _provider_colleague(by, report)
    question = question.strip()
    if not question:
        raise ReportCannotChange("Write your question.")
    if len(question) > QUESTION_MAX_CHARS:
        raise ReportCannotChange(
            f"Your question is {len(question):,} characters; keep it to {QUESTION_MAX_CHARS} or fewer "
            "and about one point."
        )
    if section is not None and section.report_id != report.pk:
        raise ReportCannotChange("That section is not part of this report.")
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("location", "assessment").get(pk=report.pk)
        _open_window(locked, now)
        row = InformationQuery.objects.create(
            report=locked, section=section, question=question, asked_by=by, asked_at=now
        )
        audit_event_record(by=by, subject=locked, action="report.query.ask", data={"query": row.pk})
        for person in _assessment_team_users(locked):
            notification_queue(
                recipient=person,
                subject=f"Question about the draft report on {locked.location.name}",
                body=f"{by.full_name} ({locked.provider.name}) asks"
                + (f" about '{section.title}'" if section else "")
                + f":\n\n{question}",
                kind="report.query.asked",
                link_url=reverse("factual_accuracy:report", args=[locked.pk]),
                dedupe_key=f"query:{row.pk}:asked:{person.pk}",
            )
    return row


def query_answer(*, by, query: InformationQuery, answer: str) -> InformationQuery:
    """Answer the provider's question; they are told. :raises ReportCannotChange: when answered or empty."""
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    if not answer.strip():
        raise ReportCannotChange("Write your answer.")
    now = timezone.now()
    with transaction.atomic():
        row = InformationQuery.objects.select_for_update().select_related("report__location").get(pk=query.pk)
        if row.answered_at is not None:
            raise ReportCannotChange(f"{row.answered_by.full_name} has already answered this question.")
        row.answer, row.answered_by, row.answered_at = answer.strip()[:5000], by, now
        row.save()
        audit_event_record(by=by, subject=row.report, action="report.query.answer", data={"query": row.pk})
        notification_queue(
            recipient=row.asked_by,
            subject=f"Answer to your question about the report on {row.report.location.name}",
            body=f"You asked: {row.question}\n\nOur answer: {row.answer}",
            kind="report.query.answered",
            link_url=reverse("factual_accuracy:report", args=[row.report_id]),
            dedupe_key=f"query:{row.pk}:answered",
        )
    return row
