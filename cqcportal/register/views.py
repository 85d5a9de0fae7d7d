"""The public register: search, and the profile of every location and provider (no sign-in)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cqcportal.core.public_cache import cached_for_the_public
from cqcportal.register import selectors
from cqcportal.register.forms import RegisterSearchForm
from cqcportal.register.models import Location, Provider

PAGE_SIZE = 20


@cached_for_the_public
def search(request: HttpRequest) -> HttpResponse:
    form = RegisterSearchForm(request.GET or None, choices=selectors.search_choices())
    page = None
    if form.is_bound and form.is_valid():
        results = selectors.register_search(**form.cleaned_data)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "register/search.html", {"form": form, "page_obj": page})


@cached_for_the_public
def location_detail(request: HttpRequest, cqc_id: str) -> HttpResponse:
    try:
        location = selectors.location_profile(cqc_id=cqc_id)
    except Location.DoesNotExist:
        raise Http404("No location has that register id.") from None
    from assessments.selectors import rating_review_under_way, rating_status_for  # the assessment app owns these
    from enforcement.selectors import published_actions_for
    from enforcement.special_measures import special_measures_open_for
    from factual_accuracy.selectors import assessment_in_progress, published_reports

    return render(
        request,
        "register/location_detail.html",
        {
            "location": location,
            "rating_status": rating_status_for(location),
            "in_progress": assessment_in_progress(location),
            "reports": published_reports(location),
            "review_under_way": rating_review_under_way(location),
            "special_measures": special_measures_open_for(location.pk),
            "enforcement": published_actions_for(location.pk),
        },
    )


@cached_for_the_public
def provider_detail(request: HttpRequest, cqc_id: str) -> HttpResponse:
    try:
        provider = selectors.provider_profile(cqc_id=cqc_id)
    except Provider.DoesNotExist:
        raise Http404("No provider has that register id.") from None
    return render(request, "register/provider_detail.html", {"provider": provider})
