"""Every state-machine transition, called through the service that performs it, by the wrong people and the right one.

The transitions are discovered from the models (every ``FSMField``'s registered transitions), so a new transition
with no entry below fails ``test_every_transition_is_declared``. For each one the record is brought to the
transition's source state through the services, then each wrong actor (another provider's user, a colleague where
only a registered person may act, a member of staff without the role, a provider user on a staff step) is refused
with nothing changed (state and audit trail), and the right actor moves it to the target state. Transitions only the
system performs (the deadline sweep) take no person, and no page of the portal calls them.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
from collections.abc import Callable

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_fsm import FSMField

from cqcportal.tests.world import World, rolled_back, world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_for_module(django_db_blocker, tmp_path_factory) as built:
        yield built


TODAY = timezone.localdate


def _refusals() -> tuple[type[Exception], ...]:
    from assessments.review_services import RatingReviewCannotChange
    from assessments.services import (
        AssessmentCannotChange,
        InformationRequestCannotReview,
        InformationRequestCannotSubmit,
    )
    from cqcportal.complaints.services import ComplaintCannotChange
    from enforcement.fit_and_proper import ConcernCannotChange
    from enforcement.services import EnforcementCannotChange
    from enforcement.special_measures import SpecialMeasuresCannotChange
    from factual_accuracy.services import ReportCannotChange

    return (
        PermissionDenied,
        ReportCannotChange,
        RatingReviewCannotChange,
        AssessmentCannotChange,
        InformationRequestCannotSubmit,
        InformationRequestCannotReview,
        EnforcementCannotChange,
        SpecialMeasuresCannotChange,
        ConcernCannotChange,
        ComplaintCannotChange,
    )


@dataclasses.dataclass
class Step:
    """A transition as people perform it: how to bring a record to its source state, and the service call."""

    transition: str  # "app_label.Model.method"
    prepare: Callable[[World], object]
    act: Callable[[World, object, object], object]  # (world, by, record)
    right: str
    wrong: list[str]

    @property
    def id(self) -> str:
        return self.transition


# Who is wrong for a step, by its kind.
STAFF_STEP = ["registered_manager", "other_provider"]
PROVIDER_STEP = ["colleague", "inspector", "other_provider"]


# --- Bringing records to each state, through the services ------------------------------------------------------


def _report_draft(w: World):
    from factual_accuracy import services

    return services.report_create(by=w.people["inspector"], assessment=w.assessment_done)


def _report_in_review(w: World):
    from factual_accuracy import services

    return services.report_submit_for_quality_review(by=w.people["inspector"], report=_report_draft(w))


def _report_passed(w: World):
    from factual_accuracy import services

    return services.report_quality_review_pass(by=w.people["coordinator"], report=_report_in_review(w))


def _report_check(w: World):
    return type(w.report_check).objects.get(pk=w.report_check.pk)


def _report_closed_with_comments(w: World):
    from factual_accuracy import services

    report = _report_check(w)
    services.factual_accuracy_submit(by=w.people["registered_manager"], report=report, today=TODAY())
    return type(report).objects.get(pk=report.pk)


def _report_no_inaccuracies(w: World):
    from factual_accuracy import services

    return services.factual_accuracy_confirm_no_inaccuracies(
        by=w.people["registered_manager"], report=_report_check(w), today=TODAY()
    )


def _report_answered(w: World):
    from factual_accuracy import services

    report = type(w.report_responding).objects.get(pk=w.report_responding.pk)
    for comment in report.comments.all():
        services.comment_respond(by=w.people["inspector"], comment=comment, outcome="accepted", response="Corrected.")
    return report


def _report_in_check(w: World):
    from factual_accuracy import services

    return services.report_send_for_independent_check(by=w.people["inspector"], report=_report_answered(w))


def _report_ready(w: World):
    from factual_accuracy import services

    return services.report_mark_ready_to_publish(by=w.people["inspector"], report=_report_no_inaccuracies(w))


def _review_draft(w: World):
    from assessments import review_services

    return review_services.rating_review_draft_save(
        by=w.people["colleague"], report=w.report_published_2, challenges={"safe": "Nobody spoke to night staff."}
    )


def _review(w: World):
    return type(w.review).objects.get(pk=w.review.pk)


def _review_in_check(w: World):
    from assessments import review_services

    return review_services.rating_review_start_grounds_check(by=w.people["inspector"], review=_review(w))


def _review_accepted(w: World):
    from assessments import review_services

    return review_services.rating_review_accept(by=w.people["inspector"], review=_review_in_check(w))


def _review_with_reviewer(w: World):
    from assessments import review_services

    return review_services.rating_review_assign_reviewer(
        by=w.people["inspector"], review=_review_accepted(w), reviewer=w.people["coordinator"]
    )


def _review_recommended(w: World):
    from assessments import review_services

    return review_services.rating_review_recommend(
        by=w.people["coordinator"], review=_review_with_reviewer(w), text="The process was followed."
    )


def _review_decided(w: World):
    from assessments import review_services

    return review_services.rating_review_decide(
        by=w.people["deputy"], review=_review_recommended(w), ratings={}, reason="The ratings stand.", today=TODAY()
    )


def _review_refused(w: World):
    from assessments import review_services

    return review_services.rating_review_refuse(
        by=w.people["inspector"], review=_review_in_check(w), letter="Disagreeing is not a ground.", today=TODAY()
    )


def _assessment_planned(w: World):
    from django.db import transaction

    from assessments import services
    from assessments.models import QualityStatement

    with transaction.atomic():
        return services.assessment_create(
            by=w.people["inspector"],
            location=w.location,
            kind="planned",
            announced=True,
            statements=list(QualityStatement.objects.filter(key_question="safe").order_by("order")[:1]),
        )


def _assessment_scored(w: World):
    from assessments import services

    assessment = type(w.assessment_live).objects.get(pk=w.assessment_live.pk)
    for statement in assessment.statements.all():
        services.statement_score_set(
            by=w.people["inspector"],
            assessment=assessment,
            statement=statement,
            score=3,
            summary="",
            judgement="",
            expected_version=0,
        )
    return assessment


def _information_request(w: World):
    return type(w.information_request).objects.get(pk=w.information_request.pk)


def _information_answered(w: World):
    from assessments import services

    return services.information_request_submit(
        by=w.people["registered_manager"], request=_information_request(w), response="40 staff.", today=TODAY()
    )


def _action(w: World, kind: str = "warning_notice", *, serve: bool = True):
    from enforcement import services

    action = services.action_record(
        by=w.people["inspector"],
        kind=kind,
        proposal="cancel" if kind == "notice_of_proposal" else "",
        provider=w.provider,
        location=w.location,
        summary="Medicines are not managed safely.",
        reason="Repeated medicines errors.",
        breaches=[("12", "safe")],
    )
    return services.action_serve(by=w.people["inspector"], action=action, today=TODAY()) if serve else action


def _action_closed(w: World, kind: str = "warning_notice"):
    """Served, and the provider's representations sent and answered: waiting for the decision."""
    from enforcement import services
    from enforcement.models import EnforcementAction

    action = _action(w, kind)
    row = services.representation_save(
        by=w.people["colleague"],
        action=action,
        regulated_activity=w.location.regulated_activities.get(),
        text="We disagree.",
    )
    services.representations_submit(by=w.people["registered_manager"], action=action, today=TODAY())
    services.representation_respond(by=w.people["inspector"], representation=row, response="Noted.")
    return EnforcementAction.objects.get(pk=action.pk)


def _action_decided(w: World):
    from enforcement import services

    return services.action_decide(
        by=w.people["inspector"],
        action=_action_closed(w, "notice_of_proposal"),
        adopt=True,
        reason="The proposal stands.",
        today=TODAY(),
    )


def _action_appealed(w: World):
    from enforcement import services

    action = _action_decided(w)
    services.appeal_record(by=w.people["inspector"], action=action, lodged_on=TODAY(), today=TODAY())
    return type(action).objects.get(pk=action.pk)


def _special_measures(w: World):
    return type(w.special_measures).objects.get(pk=w.special_measures.pk)


def _task(w: World):
    return type(w.task).objects.get(pk=w.task.pk)


def _task_scheduled(w: World):
    from enforcement import special_measures

    return special_measures.escalation_task_meeting_schedule(
        by=w.people["inspector"], task=_task(w), meeting_date=TODAY() + datetime.timedelta(days=7), today=TODAY()
    )


def _task_regulation_17(w: World):
    from cqcportal.register.models import PublishedRating
    from enforcement.models import EscalationTask, EscalationTaskKind

    return EscalationTask.objects.create(
        location=w.location,
        provider=w.provider,
        kind=EscalationTaskKind.CONSIDER_REGULATION_17,
        published_rating=PublishedRating.objects.create(
            location=w.location,
            key_question="overall",
            rating="requires_improvement",
            source=PublishedRating.Source.ASSESSMENT,
            is_current=False,
        ),
        reason="Requires improvement twice running.",
    )


def _concern(w: World, *, passed: bool = True):
    from enforcement import fit_and_proper

    if passed:
        return type(w.concern).objects.get(pk=w.concern.pk)
    return fit_and_proper.concern_record(
        by=w.people["inspector"],
        provider=w.provider,
        director_name="Dora Director",
        concern="Bankrupt.",
        received_on=TODAY(),
    )


def _concern_answered(w: World):
    from enforcement import fit_and_proper

    return fit_and_proper.concern_respond(
        by=w.people["registered_manager"], concern=_concern(w), text="It was declared in 2019.", today=TODAY()
    )


def _concern_reviewed(w: World):
    from enforcement import fit_and_proper

    return fit_and_proper.concern_review(by=w.people["inspector"], concern=_concern_answered(w), notes="Checked.")


def _complaint(w: World):
    return type(w.complaint).objects.get(pk=w.complaint.pk)


def _svc(path: str) -> Callable:
    module, name = path.rsplit(".", 1)
    return getattr(__import__(module, fromlist=[name]), name)


# --- The steps ---------------------------------------------------------------------------------------------------

REPORT = "factual_accuracy.Report"
REVIEW = "assessments.RatingReview"
NOT_TEAM = ["inspector"]  # the lead of every assessment in the world

STEPS: list[Step] = [
    # Reports: any member of staff drafts and moves a report; the independent check is by someone off the team;
    # withdrawal is for an operations manager or above; the provider's registered persons (or delegate) close the check.
    Step(
        f"{REPORT}.submit_for_quality_review",
        _report_draft,
        lambda w, by, r: _svc("factual_accuracy.services.report_submit_for_quality_review")(by=by, report=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.return_to_drafting",
        _report_in_review,
        lambda w, by, r: _svc("factual_accuracy.services.report_quality_review_return")(
            by=by, report=r, comments="Say more about staffing."
        ),
        "coordinator",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.pass_quality_review",
        _report_in_review,
        lambda w, by, r: _svc("factual_accuracy.services.report_quality_review_pass")(by=by, report=r),
        "coordinator",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.send_for_factual_accuracy",
        _report_passed,
        lambda w, by, r: _svc("factual_accuracy.services.report_send_for_factual_accuracy")(
            by=by, report=r, today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.close_with_comments",
        _report_check,
        lambda w, by, r: _svc("factual_accuracy.services.factual_accuracy_submit")(by=by, report=r, today=TODAY()),
        "delegate",
        PROVIDER_STEP,
    ),
    Step(
        f"{REPORT}.close_no_inaccuracies",
        _report_check,
        lambda w, by, r: _svc("factual_accuracy.services.factual_accuracy_confirm_no_inaccuracies")(
            by=by, report=r, today=TODAY()
        ),
        "nominated_individual",
        PROVIDER_STEP,
    ),
    Step(
        f"{REPORT}.start_responding",
        _report_closed_with_comments,
        lambda w, by, r: _svc("factual_accuracy.services.report_start_responding")(by=by, report=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.send_for_independent_check",
        _report_answered,
        lambda w, by, r: _svc("factual_accuracy.services.report_send_for_independent_check")(by=by, report=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.return_from_check",
        _report_in_check,
        lambda w, by, r: _svc("factual_accuracy.services.report_independent_check_return")(
            by=by, report=r, comments="Answer the second comment fully."
        ),
        "coordinator",
        [*STAFF_STEP, *NOT_TEAM],
    ),
    Step(
        f"{REPORT}.pass_independent_check",
        _report_in_check,
        lambda w, by, r: _svc("factual_accuracy.services.report_independent_check_pass")(by=by, report=r),
        "coordinator",
        [*STAFF_STEP, *NOT_TEAM],
    ),
    Step(
        f"{REPORT}.mark_ready_to_publish",
        _report_no_inaccuracies,
        lambda w, by, r: _svc("factual_accuracy.services.report_mark_ready_to_publish")(by=by, report=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.publish",
        _report_ready,
        lambda w, by, r: _svc("factual_accuracy.services.report_publish")(by=by, report=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REPORT}.withdraw",
        _report_check,
        lambda w, by, r: _svc("factual_accuracy.services.report_withdraw")(by=by, report=r, reason="Wrong location."),
        "ops_manager",
        [*STAFF_STEP, "inspector", "admin_staff"],
    ),
    # Rating reviews: anyone at the provider drafts, a registered person in their own right sends (not a delegate);
    # staff check the grounds; the named reviewer recommends; a deputy director or the chief inspector decides.
    Step(
        f"{REVIEW}.submit",
        _review_draft,
        lambda w, by, r: _svc("assessments.review_services.rating_review_submit")(by=by, review=r, today=TODAY()),
        "chief_executive",
        [*PROVIDER_STEP, "delegate"],
    ),
    Step(
        f"{REVIEW}.start_grounds_check",
        _review,
        lambda w, by, r: _svc("assessments.review_services.rating_review_start_grounds_check")(by=by, review=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REVIEW}.refuse",
        _review_in_check,
        lambda w, by, r: _svc("assessments.review_services.rating_review_refuse")(
            by=by, review=r, letter="Disagreeing is not a ground.", today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REVIEW}.accept",
        _review_in_check,
        lambda w, by, r: _svc("assessments.review_services.rating_review_accept")(by=by, review=r),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REVIEW}.assign_reviewer",
        _review_accepted,
        lambda w, by, r: _svc("assessments.review_services.rating_review_assign_reviewer")(
            by=by, review=r, reviewer=w.people["coordinator"]
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REVIEW}.recommend",
        _review_with_reviewer,
        lambda w, by, r: _svc("assessments.review_services.rating_review_recommend")(
            by=by, review=r, text="The process was followed."
        ),
        "coordinator",
        [*STAFF_STEP, "inspector", "chief"],
    ),
    Step(
        f"{REVIEW}.decide",
        _review_recommended,
        lambda w, by, r: _svc("assessments.review_services.rating_review_decide")(
            by=by, review=r, ratings={}, reason="The ratings stand.", today=TODAY()
        ),
        "chief",
        [*STAFF_STEP, "inspector", "ops_manager", "coordinator"],
    ),
    Step(
        f"{REVIEW}.publish_outcome",
        _review_decided,
        lambda w, by, r: _svc("assessments.review_services.rating_review_publish_outcome")(
            by=by, review=r, today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        f"{REVIEW}.close",
        _review_refused,
        lambda w, by, r: _svc("assessments.review_services.rating_review_close")(by=by, review=r),
        "inspector",
        STAFF_STEP,
    ),
    # Assessments: the lead, the team or a senior manager.
    Step(
        "assessments.Assessment.start",
        _assessment_planned,
        lambda w, by, r: _svc("assessments.services.assessment_start")(by=by, assessment=r),
        "inspector",
        [*STAFF_STEP, "coordinator", "admin_staff"],
    ),
    Step(
        "assessments.Assessment.complete",
        _assessment_scored,
        lambda w, by, r: _svc("assessments.services.assessment_complete")(by=by, assessment=r),
        "assessor",  # on the team
        [*STAFF_STEP, "coordinator", "admin_staff"],
    ),
    Step(
        "assessments.Assessment.cancel",
        _assessment_planned,
        lambda w, by, r: _svc("assessments.services.assessment_cancel")(by=by, assessment=r, reason="Duplicate."),
        "ops_manager",
        [*STAFF_STEP, "coordinator", "admin_staff"],
    ),
    # Information requests: a registered person or their delegate answers; staff review.
    Step(
        "assessments.InformationRequest.submit",
        _information_request,
        lambda w, by, r: _svc("assessments.services.information_request_submit")(
            by=by, request=r, response="We have 40 staff.", today=TODAY()
        ),
        "delegate",
        PROVIDER_STEP,
    ),
    Step(
        "assessments.InformationRequest.review",
        _information_answered,
        lambda w, by, r: _svc("assessments.services.information_request_review")(by=by, request=r),
        "inspector",
        STAFF_STEP,
    ),
    # Enforcement: staff record, serve, decide and record appeals; registered persons send representations.
    Step(
        "enforcement.EnforcementAction.serve",
        lambda w: _action(w, serve=False),
        lambda w, by, r: _svc("enforcement.services.action_serve")(by=by, action=r, today=TODAY()),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.serve_in_effect",
        lambda w: _action(w, "requirement_notice", serve=False),
        lambda w, by, r: _svc("enforcement.services.action_serve")(by=by, action=r, today=TODAY()),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.close_representations",
        lambda w: type(w.action).objects.get(pk=w.action.pk),  # served, with a draft representation
        lambda w, by, r: _svc("enforcement.services.representations_submit")(by=by, action=r, today=TODAY()),
        "nominated_individual",
        PROVIDER_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.confirm",
        _action_closed,
        lambda w, by, r: _svc("enforcement.services.action_decide")(
            by=by, action=r, adopt=True, reason="It stands.", today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.withdraw",
        _action_closed,
        lambda w, by, r: _svc("enforcement.services.action_decide")(
            by=by, action=r, adopt=False, reason="Put right.", today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.serve_decision",
        lambda w: _action_closed(w, "notice_of_proposal"),
        lambda w, by, r: _svc("enforcement.services.action_decide")(
            by=by, action=r, adopt=True, reason="It stands.", today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.appeal",
        _action_decided,
        lambda w, by, r: _svc("enforcement.services.appeal_record")(by=by, action=r, lodged_on=TODAY(), today=TODAY()),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EnforcementAction.record_appeal_outcome",
        _action_appealed,
        lambda w, by, r: _svc("enforcement.services.appeal_outcome_record")(
            by=by, action=r, outcome="dismissed", notes="The decision stands.", on=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    # Special measures and escalation tasks: staff.
    Step(
        "enforcement.SpecialMeasures.leave_improved",
        _special_measures,
        lambda w, by, r: _svc("enforcement.special_measures.special_measures_leave")(
            by=by, record=r, outcome="Rated good at re-assessment."
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.SpecialMeasures.propose_cancellation",
        _special_measures,
        lambda w, by, r: _svc("enforcement.special_measures.special_measures_propose_cancellation")(
            by=by, record=r, outcome="No improvement after six months."
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EscalationTask.complete",
        _task_regulation_17,
        lambda w, by, r: _svc("enforcement.special_measures.escalation_task_complete")(
            by=by, task=r, notes="Improvement report asked for."
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EscalationTask.schedule_meeting",
        _task,
        lambda w, by, r: _svc("enforcement.special_measures.escalation_task_meeting_schedule")(
            by=by, task=r, meeting_date=TODAY() + datetime.timedelta(days=7), today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.EscalationTask.record_meeting",
        _task_scheduled,
        lambda w, by, r: _svc("enforcement.special_measures.escalation_task_meeting_record")(
            by=by, task=r, notes="Agreed a focused assessment."
        ),
        "inspector",
        STAFF_STEP,
    ),
    # Fit and proper person concerns: staff pass on, review and close; a registered person or delegate responds.
    Step(
        "enforcement.FitAndProperConcern.pass_to_provider",
        lambda w: _concern(w, passed=False),
        lambda w, by, r: _svc("enforcement.fit_and_proper.concern_pass_to_provider")(by=by, concern=r, today=TODAY()),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.FitAndProperConcern.respond",
        _concern,
        lambda w, by, r: _svc("enforcement.fit_and_proper.concern_respond")(
            by=by, concern=r, text="It was declared in 2019.", today=TODAY()
        ),
        "delegate",
        PROVIDER_STEP,
    ),
    Step(
        "enforcement.FitAndProperConcern.review",
        _concern_answered,
        lambda w, by, r: _svc("enforcement.fit_and_proper.concern_review")(by=by, concern=r, notes="Checked."),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "enforcement.FitAndProperConcern.close",
        _concern_reviewed,
        lambda w, by, r: _svc("enforcement.fit_and_proper.concern_close")(
            by=by, concern=r, outcome="discuss", notes="At the next engagement."
        ),
        "inspector",
        STAFF_STEP,
    ),
    # Complaints about the regulator: staff.
    Step(
        "complaints.Complaint.escalate",
        _complaint,
        lambda w, by, r: _svc("cqcportal.complaints.services.complaint_escalate")(by=by, complaint=r, today=TODAY()),
        "inspector",
        STAFF_STEP,
    ),
    Step(
        "complaints.Complaint.close",
        _complaint,
        lambda w, by, r: _svc("cqcportal.complaints.services.complaint_close")(
            by=by, complaint=r, outcome="Apologised.", today=TODAY()
        ),
        "inspector",
        STAFF_STEP,
    ),
]

# Transitions only the portal itself performs, when a deadline passes (the sweep): the handler takes no person.
SYSTEM_ONLY = {
    f"{REPORT}.close_no_response": "factual_accuracy.services.factual_accuracy_close_no_response",
    "assessments.InformationRequest.close_no_response": "assessments.services.information_requests_close_no_response",
    "enforcement.EnforcementAction.take_effect": "enforcement.services.appeal_window_closed",
    "deadlines.Deadline.miss": "cqcportal.deadlines.sweep.deadlines_sweep",
}
# The clock of a case is moved by the case's own services (met when the case moves on, cancelled with it, paused
# while a challenge is open); people pause, resume and extend it only through the information request's clock page,
# which is staff-only (the permission matrix checks it for every role).
CLOCK = {
    "deadlines.Deadline.pause": "cqcportal.deadlines.services.deadline_pause",
    "deadlines.Deadline.resume": "cqcportal.deadlines.services.deadline_resume",
    "deadlines.Deadline.meet": "cqcportal.deadlines.services.deadline_meet",
    "deadlines.Deadline.cancel": "cqcportal.deadlines.services.deadline_cancel",
}
# Declared on the model, performed by no service and no page yet: listed so that one added later gets a step.
NOT_PERFORMED = {
    "assessments.InformationRequest.withdraw": "no service withdraws an information request",
    "enforcement.EnforcementAction.conclude": "no service concludes an action in effect",
}


def _discovered() -> set[str]:
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FSMField):
                for transition in getattr(model(), f"get_all_{field.name}_transitions")():
                    found.add(f"{model._meta.label}.{transition.name}")
    return found


def test_every_transition_is_declared():
    declared = {step.transition for step in STEPS} | set(SYSTEM_ONLY) | set(CLOCK) | set(NOT_PERFORMED)
    assert len(STEPS) == len({step.transition for step in STEPS}), "a transition is declared twice"
    assert _discovered() - declared == set(), "transitions with no step: add them to STEPS"
    assert declared - _discovered() == set(), "steps for transitions that no longer exist"


def _view_modules() -> dict[str, str]:
    """The source of every module a URL of the portal (back office included) has its view in, by module name."""
    modules = {}

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                module = inspect.getmodule(entry.callback)
                if module is not None and not module.__name__.startswith("django"):
                    modules[module.__name__] = inspect.getsource(module)

    walk(get_resolver().url_patterns)
    return modules


def test_system_only_transitions_take_no_person_and_no_page_calls_them():
    modules = _view_modules()
    for transition, path in SYSTEM_ONLY.items():
        handler = _svc(path)
        assert "by" not in inspect.signature(handler).parameters, f"{transition}: {path} takes a person"
        callers = [name for name, source in modules.items() if handler.__name__ in source]
        assert callers == [], f"{transition}: {callers} call {path}"


def test_pages_move_a_clock_only_through_the_staff_only_clock_view():
    from assessments import views

    modules = _view_modules()
    for transition, path in CLOCK.items():
        name = path.rsplit(".", 1)[1]
        callers = {module for module, source in modules.items() if f"{name}(" in source}
        assert callers <= {"assessments.views"}, f"{transition}: {callers} call {name}"
    assert "is_regulator_staff" in inspect.getsource(views._staff_window)


def _state(record) -> str:
    return type(record).objects.values_list("state", flat=True).get(pk=record.pk)


def _audit() -> int:
    from cqcportal.audit.models import AuditEvent
    from cqcportal.audit.services import ACCESS_ACTIONS

    return AuditEvent.objects.exclude(action__in=ACCESS_ACTIONS).count()


def _target(record, name: str) -> str:
    source = record.state
    for transition in record.get_all_state_transitions():
        if transition.name == name and transition.source in (source, "*", "+"):
            return transition.target
    raise AssertionError(f"{name} cannot start from {source}")


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_transition_refuses_the_wrong_people_and_is_done_by_the_right_one(world, step):
    name = step.transition.rsplit(".", 1)[1]
    failures = []
    for role in step.wrong:
        with rolled_back():
            record = step.prepare(world)
            before, audit = _state(record), _audit()
            try:
                step.act(world, world.user(role), record)
            except _refusals():
                pass
            else:
                failures.append(f"{role} was not refused")
            if (_state(record), _audit()) != (before, audit):
                failures.append(f"{role} changed the record or the audit trail")
    with rolled_back():
        record = step.prepare(world)
        target, audit = _target(record, name), _audit()
        step.act(world, world.user(step.right), record)
        if _state(record) != target:
            failures.append(f"{step.right} did not move it to {target}")
        if _audit() <= audit:
            failures.append(f"{step.right}'s step was not audited")
    assert not failures, "\n".join(failures)
