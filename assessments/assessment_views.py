"""Pages for assessments: the caseload, planning, the workspace where statements are scored, and the public working."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import selectors, services
from assessments.assessment_forms import (
    AssessmentForm,
    CompleteForm,
    DepartureForm,
    EvidenceForm,
    RegulationsForm,
    ScoreForm,
)
from assessments.models import (
    Assessment,
    AssessmentState,
    EvidenceCategory,
    EvidenceItem,
    LocationRating,
    QualityStatement,
    StatementScore,
)
from assessments.working import FLAG_TEXT, location_regulations, location_working
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import DOCUMENT_DOWNLOAD, audit_access_record
from cqcportal.core.context_processors import read_with_navigation
from cqcportal.core.fragments import render_page
from cqcportal.core.links import link_maker
from cqcportal.core.public_cache import cached_for_the_public
from cqcportal.register.models import Location

CASELOAD_PAGE_SIZE = 50  # an inspector holds about 150 locations, and their finished assessments stay listed


def _staff_only(request: HttpRequest) -> None:
    if not perms.is_regulator_staff(request.user):
        raise Http404


@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    state = request.GET.get("state", "")
    page = selectors.caseload_page(
        request.user,
        state=state if state in AssessmentState.values else "",
        page_number=request.GET.get("page"),
        per_page=CASELOAD_PAGE_SIZE,
        read=functools.partial(read_with_navigation, request),
    )
    # Drawn by Jinja2 from top to bottom (render_page): the busiest page of the inspectors' day.
    return render_page(
        request,
        "assessments/caseload_page.html",
        {"page_obj": page, "states": AssessmentState.choices, "state": state},
    )


@login_required
def assessment_new(request: HttpRequest, location_pk: int) -> HttpResponse:
    _staff_only(request)
    location = get_object_or_404(Location.objects.select_related("provider"), pk=location_pk)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(by=request.user, location=location, **form.cleaned_data)
        except services.AssessmentCannotChange as exc:
            form.add_error("onsite_end_date", str(exc))
        else:
            messages.success(request, "Assessment planned.")
            return redirect("assessments:workspace", pk=assessment.pk)
    return render(request, "assessments/assessment_new.html", {"location": location, "form": form})


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    _staff_only(request)
    assessment = selectors.assessment_for_staff(pk)
    if assessment is None:
        raise Http404("No assessment here.")
    return assessment


def _conducted_by(request: HttpRequest, pk: int, permission: str = "assessments.conduct") -> Assessment:
    """The assessment, for a member of staff who may work on it (its lead, its team or a senior manager);
    other staff are forbidden, so a guessed step changes nothing."""
    assessment = _assessment(request, pk)
    if not request.user.has_perm(permission, assessment):
        raise PermissionDenied("Only the assessment's lead, its team or a senior manager can do this.")
    return assessment


@login_required
def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    # The assessment, the page's rows and the working's in one round trip (a service that is not rated does not use
    # the working's).
    rows = selectors.workspace_rows(pk, read=functools.partial(read_with_navigation, request))
    if rows is None:
        raise Http404("No assessment here.")
    assessment, in_scope, scores = rows.assessment, rows.in_scope, rows.scores
    location = assessment.location
    # Read once, for whether the service is rated and which of the framework's rules for first scores apply.
    location.service_types_list = rows.service_types
    is_rated = services.location_is_rated(location)
    working = (
        location_working(location, preview=assessment, preview_scores=list(scores.values()), rows=rows.also)
        if is_rated
        else None
    )
    regulations = None if is_rated else location_regulations(location, preview=assessment)
    judged = set() if is_rated else set(assessment.regulations_judgements.values_list("statement_id", flat=True))
    flags = [FLAG_TEXT[f] for f in rows.flags]
    # The statements' links, from one reverse (cqcportal.core.links).
    statement_link = link_maker("assessments:statement", assessment.pk)
    for kq in working.key_questions if working is not None else regulations:
        for line in kq.lines:
            line.url = statement_link(line.statement.slug)
    # Drawn by Jinja2 from top to bottom (render_page), as the caseload is: an inspector's working page.
    return render_page(
        request,
        "assessments/workspace_page.html",
        {
            "assessment": assessment,
            "working": working,
            "in_scope": in_scope,
            "scores": scores,
            "flags": flags,
            "complete_form": CompleteForm(),
            "is_rated": is_rated,
            "regulations": regulations,
            "judged": judged,
            "team": rows.team,
            "information_requests": rows.information_requests,
        },
    )


@login_required
def depart(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _conducted_by(request, pk, "assessments.depart_from_rating")
    form = DepartureForm(request.POST or None, initial={"key_question": request.GET.get("key_question", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_depart(by=request.user, assessment=assessment, **form.cleaned_data)
        except services.RatingCannotDepart as exc:
            form.add_error("rationale", str(exc))
        else:
            messages.success(request, "Your judgement is recorded, shown on the working and queued for quality review.")
            return redirect("assessments:workspace", pk=assessment.pk)
    return render(request, "assessments/depart.html", {"assessment": assessment, "form": form})


@login_required
@require_POST
def assessment_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assessment = _conducted_by(request, pk)
    try:
        if action == "start":
            services.assessment_start(by=request.user, assessment=assessment)
            messages.success(request, "The assessment has started: you can score statements now.")
        elif action == "complete":
            form = CompleteForm(request.POST)
            reason = form.cleaned_data["not_rated_reason"] if form.is_valid() else ""
            services.assessment_complete(by=request.user, assessment=assessment, not_rated_reason=reason)
            messages.success(request, "Assessment completed. The location's ratings have been recalculated.")
        else:
            raise Http404
    except services.AssessmentCannotChange as exc:
        messages.error(request, str(exc))
    return redirect("assessments:workspace", pk=assessment.pk)


def _statement_page(
    request: HttpRequest,
    assessment: Assessment,
    statement: QualityStatement,
    *,
    score_form: ScoreForm | None = None,
    evidence_form: EvidenceForm | None = None,
    regulations_form: RegulationsForm | None = None,
    conflict: StatementScore | None = None,
) -> HttpResponse:
    current = (
        StatementScore.objects.filter(assessment=assessment, statement=statement).select_related("scored_by").first()
    )
    if score_form is None:
        initial = {"version": current.version if current else 0}
        if current:
            initial |= {"score": str(current.score), "summary": current.summary, "judgement": current.judgement}
        score_form = ScoreForm(initial=initial)
    evidence_form = evidence_form or EvidenceForm()
    categories = list(EvidenceCategory.objects.all())
    if regulations_form is None:
        saved = assessment.regulations_judgements.filter(statement=statement)
        regulations_form = RegulationsForm(
            categories=categories, initial={f"category_{j.category_id}": "met" if j.met else "not_met" for j in saved}
        )
    evidence = EvidenceItem.objects.filter(assessment=assessment, statement=statement).select_related(
        "category", "added_by"
    )
    return render(
        request,
        "assessments/statement.html",
        {
            "assessment": assessment,
            "statement": statement,
            "current": current,
            "conflict": conflict,
            "score_form": score_form,
            "evidence_form": evidence_form,
            "evidence": evidence,
            "form": score_form if score_form.errors else evidence_form,
            "is_rated": services.location_is_rated(assessment.location),
            "categories": regulations_form.category_values(),
            "judgement_error": "; ".join(regulations_form.non_field_errors()),
        },
    )


@login_required
def statement(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """A statement of an assessment: score it (or judge it, for a service that is not rated) and add evidence."""
    assessment = _assessment(request, pk)
    quality_statement = get_object_or_404(QualityStatement, slug=slug)
    if request.method == "POST":
        handler = {"save_score": _save_score, "save_judgement": _save_judgement, "add_evidence": _add_evidence}
        for button, handle in handler.items():
            if button in request.POST:
                return handle(request, assessment, quality_statement)
    return _statement_page(request, assessment, quality_statement)


def _save_score(request: HttpRequest, assessment: Assessment, statement: QualityStatement) -> HttpResponse:
    form = ScoreForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.statement_score_set(
                by=request.user,
                assessment=assessment,
                statement=statement,
                score=data["score"],
                summary=data["summary"],
                judgement=data["judgement"],
                expected_version=data["version"],
            )
        except services.StatementScoreCannotSave as exc:
            form.add_error("score", str(exc))
            return _statement_page(request, assessment, statement, score_form=form, conflict=exc.current)
        messages.success(request, f"Score saved for “{statement.name}”.")
        return redirect("assessments:workspace", pk=assessment.pk)
    return _statement_page(request, assessment, statement, score_form=form)


def _save_judgement(request: HttpRequest, assessment: Assessment, statement: QualityStatement) -> HttpResponse:
    form = RegulationsForm(request.POST, categories=list(EvidenceCategory.objects.all()))
    if form.is_valid():
        try:
            services.regulations_judge(
                by=request.user, assessment=assessment, statement=statement, judgements=form.judgements()
            )
        except services.StatementScoreCannotSave as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Judgement saved for “{statement.name}”.")
            return redirect("assessments:workspace", pk=assessment.pk)
    return _statement_page(request, assessment, statement, regulations_form=form)


def _add_evidence(request: HttpRequest, assessment: Assessment, statement: QualityStatement) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.evidence_add(
                by=request.user,
                assessment=assessment,
                statement=statement,
                category=data["category"],
                note=data["note"],
                source=data["source"],
                document=data["document"],
            )
        except services.AssessmentCannotChange as exc:
            form.add_error("document" if data["document"] else "note", str(exc))
        else:
            messages.success(request, "Evidence added.")
            return redirect("assessments:statement", pk=assessment.pk, slug=statement.slug)
    return _statement_page(request, assessment, statement, evidence_form=form)


@cached_for_the_public
def how_rated(request: HttpRequest, cqc_id: str) -> HttpResponse:
    """Public: how the location's rating was reached, statement by statement."""
    location = get_object_or_404(Location.objects.select_related("provider"), cqc_id=cqc_id)
    is_rated = services.location_is_rated(location)
    working = location_working(location, published_only=True) if is_rated else None
    regulations = None if is_rated else location_regulations(location)
    status = LocationRating.objects.filter(location=location, key_question="overall").first()
    return render(
        request,
        "assessments/how_rated.html",
        {"location": location, "working": working, "regulations": regulations, "status": status},
    )


@login_required
@require_POST
def rating_suspend(request: HttpRequest, location_pk: int) -> HttpResponse:
    _staff_only(request)
    location = get_object_or_404(Location, pk=location_pk)
    try:
        services.location_rating_suspend(
            by=request.user, location=location, reason=request.POST.get("reason", ""), today=timezone.localdate()
        )
    except services.LocationRatingCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The rating is suspended and shows as such to the public.")
    return redirect("register:organisation-location", pk=location.provider_id, location_pk=location.pk)


@login_required
@require_POST
def assessment_information_request(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _conducted_by(request, pk)
    questions = request.POST.get("questions", "").strip()[:5000] or (
        "Please tell us about your service before our assessment: the people you support, your staffing, "
        "incidents and complaints in the last 12 months, and any changes you have made since we last looked."
    )
    try:
        info = services.information_request_send(
            by=request.user,
            location=assessment.location,
            questions=questions,
            today=timezone.localdate(),
            assessment=assessment,
        )
    except services.InformationRequestCannotSend as exc:
        messages.error(request, str(exc))
        return redirect("assessments:workspace", pk=assessment.pk)
    messages.success(request, "Information request sent: the provider has 5 working days to respond.")
    return redirect("assessments:information-request", pk=info.pk)


@login_required
def scope(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _conducted_by(request, pk) if request.method == "POST" else _assessment(request, pk)
    statements = list(QualityStatement.objects.filter(retired_at__isnull=True).order_by("order"))
    chosen = (
        {int(v) for v in request.POST.getlist("statements") if v.isdigit()}
        if request.method == "POST"
        else set(assessment.statements.values_list("pk", flat=True))
    )
    error = ""
    if request.method == "POST":
        try:
            services.assessment_scope_set(
                by=request.user, assessment=assessment, statements=[s for s in statements if s.pk in chosen]
            )
        except services.AssessmentCannotChange as exc:
            error = str(exc)
        else:
            messages.success(request, "The statements in scope have been updated.")
            return redirect("assessments:workspace", pk=assessment.pk)
    return render(
        request,
        "assessments/scope.html",
        {"assessment": assessment, "statements": statements, "chosen": chosen, "error": error},
    )


@login_required
@require_POST
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _conducted_by(request, pk)
    try:
        services.assessment_team_add(
            by=request.user, assessment=assessment, name=request.POST.get("name", ""), role=request.POST.get("role", "")
        )
    except services.AssessmentCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Added to the team.")
    return redirect("assessments:workspace", pk=assessment.pk)


@login_required
def evidence_download(request: HttpRequest, pk: int, item_pk: int) -> FileResponse:
    assessment = _assessment(request, pk)
    item = get_object_or_404(EvidenceItem.objects.filter(assessment=assessment).exclude(document=""), pk=item_pk)
    audit_access_record(
        by=request.user, subject=assessment, document="evidence file", action=DOCUMENT_DOWNLOAD, evidence=item.pk
    )
    return FileResponse(item.document.open("rb"), as_attachment=True, filename=item.document.name.rsplit("/", 1)[-1])
