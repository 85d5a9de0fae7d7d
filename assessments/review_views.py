"""Rating review pages: the provider's request, the review's page for both sides, and the staff list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import review_services as services
from assessments import selectors
from assessments.models import REVIEW_MAX_WORDS, REVIEW_UNDER_WAY, RatingReview, RatingReviewState
from assessments.ratings import Rating
from cqcportal import workdays
from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import StaffRole, User
from cqcportal.audit.services import audit_access_record
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import Deadline
from cqcportal.deadlines.rules import Kind
from factual_accuracy.models import ReportState
from factual_accuracy.selectors import reports_visible_to


def reviews_visible_to(user):
    """Every review for staff; a provider user's own organisation's reviews (drafts included)."""
    qs = RatingReview.objects.select_related("report", "location", "provider", "submitted_by", "reviewer")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id, location__in=perms.locations_visible_to(user))


def _rows(report, review, data=None) -> list[dict]:
    """One row per rating the report gave: its current rating, whether it is challenged, and the grounds."""
    current = services._current_ratings(report)
    saved = {c.key_question: c.grounds for c in review.challenges.all()} if review else {}
    rows = []
    for key in services.rated_keys(report):
        if data is not None:
            grounds = data.get(f"grounds-{key}", "")
            chosen = key in data.getlist("challenge")
        else:
            grounds, chosen = saved.get(key, ""), key in saved
        rows.append(
            {
                "key": key,
                "label": services.RATING_LABELS.get(key, key),
                "rating": current.get(key, ""),
                "rating_label": Rating.from_slug(current[key]).label if current.get(key) else "",
                "chosen": chosen,
                "grounds": grounds,
            }
        )
    return rows


REVIEWER_CHOICES = 200  # staff listed at once to choose a reviewer from; a search narrows a national workforce


@login_required
def request_review(request: HttpRequest, report_pk: int) -> HttpResponse:
    """The provider's request: which ratings, and how the process for reaching them was not followed."""
    if not perms.is_provider_user(request.user):
        raise Http404
    report = get_object_or_404(reports_visible_to(request.user), pk=report_pk, state=ReportState.PUBLISHED)
    review = RatingReview.objects.filter(report=report).prefetch_related("challenges").first()
    if review is not None and review.state != RatingReviewState.DRAFTING:
        return redirect("assessments:rating-review", pk=review.pk)
    error = ""
    rows = _rows(report, review, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        challenges = {row["key"]: row["grounds"] for row in rows if row["chosen"]}
        try:
            review = services.rating_review_draft_save(by=request.user, report=report, challenges=challenges)
            if request.POST.get("action") == "submit":
                services.rating_review_submit(by=request.user, review=review, today=timezone.localdate())
                messages.success(request, "Your request for a review has been sent. We will check the grounds first.")
                return redirect("assessments:rating-review", pk=review.pk)
        except services.RatingReviewCannotChange as exc:
            error = str(exc)
        else:
            messages.success(request, "Draft saved. A registered person can send it.")
            return redirect("assessments:rating-review-request", report_pk=report.pk)
    window = services.request_window(report)
    return render(
        request,
        "assessments/reviews/request.html",
        {
            "report": report,
            "rows": rows,
            "window": window,
            "window_closed": window is None or timezone.now() > window.due_at,
            "error": error,
            "max_words": REVIEW_MAX_WORDS,
            "can_submit": perms.is_registered_person_of(request.user, report),
            "is_latest": (latest := services.latest_rated_report(report.location_id)) is not None
            and latest.pk == report.pk,
        },
        status=400 if error else 200,
    )


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(reviews_visible_to(request.user), pk=pk)
    is_staff_user = perms.is_regulator_staff(request.user)
    if review.state == RatingReviewState.DRAFTING and not is_staff_user:
        return redirect("assessments:rating-review-request", report_pk=review.report_id)
    target = deadline_selectors.deadlines_for_case(review).filter(kind=Kind.RATING_REVIEW_TARGET).first()
    context = {
        "review": review,
        "challenges": [
            {"label": services.RATING_LABELS.get(c.key_question, c.key_question), "grounds": c.grounds}
            for c in review.challenges.all()
        ],
        "changes": [
            {
                "label": services.RATING_LABELS.get(c.key_question, c.key_question),
                "from": Rating.from_slug(c.from_rating).label,
                "to": Rating.from_slug(c.to_rating).label,
            }
            for c in review.changes.all()
        ],
        "is_staff_user": is_staff_user,
        "target": target,
        "used_left": _used_left(target),
        "pauses": list(target.pauses.all()) if target else [],
        "words": sum(services.count_words(c.grounds) for c in review.challenges.all()),
    }
    if is_staff_user:
        report = review.report
        if review.state == RatingReviewState.ACCEPTED:
            query = " ".join(request.GET.get("reviewer_q", "").split())[:100]
            reviewers, more = selectors.independent_reviewer_candidates(report, query=query, limit=REVIEWER_CHOICES)
            context.update(reviewers=reviewers, reviewers_more=more, reviewer_q=query, reviewer_limit=REVIEWER_CHOICES)
        context.update(
            {
                "rows": _rows(report, None),
                "ratings": [(r.slug, r.label) for r in Rating],
                "can_decide": perms.has_staff_role(StaffRole.DEPUTY_DIRECTOR, StaffRole.CHIEF_INSPECTOR).test(
                    request.user
                ),
            }
        )
    # A request for a review is never published (only its outcome is): every reading of it is in the audit log.
    audit_access_record(by=request.user, subject=review, document="rating review request", state=review.state)
    return render(request, "assessments/reviews/detail.html", context)


def _used_left(target) -> tuple[int, int] | None:
    """Working days of the 50 used (paused days not counted) and left; None before there is a target."""
    if target is None:
        return None
    holidays = deadline_selectors.extra_holidays()
    end = timezone.localdate(target.closed_at) if target.closed_at else timezone.localdate()
    if target.state == "paused" and target.paused_on:
        end = target.paused_on
    used = max(0, workdays.working_days_between(target.start_date, end, extra_holidays=holidays) - target.paused_days)
    return used, target.rule_days - used


@login_required
@require_POST
def review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    review = get_object_or_404(RatingReview.objects.select_related("report__assessment"), pk=pk)
    if action == "decide" and not perms.has_staff_role(StaffRole.DEPUTY_DIRECTOR, StaffRole.CHIEF_INSPECTOR).test(
        request.user
    ):
        raise PermissionDenied("A deputy director or the chief inspector decides a rating review.")
    if action == "recommend" and review.reviewer_id and review.reviewer_id != request.user.pk:
        raise PermissionDenied("Only the independent reviewer named on this review can recommend.")
    today = timezone.localdate()
    post = request.POST
    try:
        if action == "check":
            services.rating_review_start_grounds_check(by=request.user, review=review)
            done = "Checking the grounds."
        elif action == "refuse":
            services.rating_review_refuse(
                by=request.user, review=review, letter=post.get("letter", "")[:10000], today=today
            )
            done = "Refused: the provider has the letter."
        elif action == "accept":
            services.rating_review_accept(by=request.user, review=review)
            done = "Accepted for an independent review."
        elif action == "reviewer":
            reviewer = User.objects.filter(pk=post.get("reviewer") or 0, kind="staff").first()
            services.rating_review_assign_reviewer(
                by=request.user, review=review, reviewer=reviewer, external=post.get("external", "")
            )
            done = "Independent reviewer named."
        elif action == "recommend":
            services.rating_review_recommend(
                by=request.user, review=review, text=post.get("recommendation", "")[:10000]
            )
            done = "Recommendation recorded."
        elif action == "decide":
            keys = services.rated_keys(review.report)
            services.rating_review_decide(
                by=request.user,
                review=review,
                ratings={key: post.get(f"rating-{key}", "") for key in keys},
                reason=post.get("reason", "")[:10000],
                today=today,
            )
            done = "Decided: the ratings, the report and the working are updated."
        elif action == "publish":
            services.rating_review_publish_outcome(by=request.user, review=review, today=today)
            done = "Outcome published."
        elif action == "close":
            services.rating_review_close(by=request.user, review=review)
            done = "Closed."
        else:
            raise Http404
    except services.RatingReviewCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("assessments:rating-review", pk=review.pk)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """Staff: reviews under way with their 50-working-day target; at risk (10 or fewer left) and late."""
    if not perms.is_regulator_staff(request.user):
        raise Http404
    targets = Deadline.objects.filter(
        content_type__app_label="assessments",
        content_type__model="ratingreview",
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        kind=Kind.RATING_REVIEW_TARGET,
    ).order_by("-pk")
    qs = (
        RatingReview.objects.filter(state__in=REVIEW_UNDER_WAY)
        .select_related("location", "provider")
        .annotate(
            target_due=Subquery(targets.values("due_date")[:1]), target_state=Subquery(targets.values("state")[:1])
        )
        .order_by("target_due", "pk")
    )
    today = timezone.localdate()
    show = request.GET.get("show", "")
    holidays = deadline_selectors.extra_holidays()
    if show == "late":
        qs = qs.filter(target_due__lt=today)
    elif show == "at-risk":
        qs = qs.filter(
            target_due__gte=today, target_due__lte=workdays.add_working_days(today, 10, extra_holidays=holidays)
        )
    else:
        show = ""
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for review in page.object_list:
        due = review.target_due
        review.left = (
            None
            if due is None
            else workdays.working_days_between(today, due, extra_holidays=holidays)
            if due >= today
            else -workdays.working_days_between(due, today, extra_holidays=holidays)
        )
    return render(request, "assessments/reviews/list.html", {"page_obj": page, "show": show})
