"""The pagination links: each keeps the rest of the query string and changes only its own list's page."""

import re
from pathlib import Path

import pytest
from django import template as django_template
from django.core.paginator import Paginator
from django.template import Engine, RequestContext
from django.template.loader import render_to_string
from django.test import RequestFactory


def _links(query: str, **context) -> set[str]:
    request = RequestFactory().get(f"/special-measures/?{query}")
    html = render_to_string("includes/pagination.html", {"request": request, **context}, request=request)
    return set(re.findall(r'href="([^"]*)"', html))


def test_pagination_links_change_the_page_and_keep_the_filters():
    page = Paginator(range(120), 50).page(2)
    assert _links("show=open&page=2", page_obj=page) == {
        "?show=open&amp;page=1",
        "?show=open&amp;page=2",
        "?show=open&amp;page=3",
    }


def test_pagination_links_of_a_second_list_change_only_its_page():
    tasks = Paginator(range(120), 50).page(1)
    assert _links("page=3&tasks=1", page_obj=tasks, page_param="tasks") == {
        "?page=3&amp;tasks=1",
        "?page=3&amp;tasks=2",
        "?page=3&amp;tasks=3",
    }


def test_pagination_is_not_shown_for_one_page():
    assert _links("", page_obj=Paginator(range(10), 50).page(1)) == set()


# The pagination as Django's template language drew it before it moved to Jinja2, kept as the reference the fragment
# must match (reference/pagination_django.html, with its query-string tag defined here).
register = django_template.Library()  # the reference template loads it as "pagination"


@register.simple_tag(takes_context=True)
def page_querystring(context, number, param=""):
    params = context.request.GET.copy()
    params[param or "page"] = number
    return f"?{params.urlencode()}"


def _reference(**context) -> str:
    source = (Path(__file__).parent / "reference" / "pagination_django.html").read_text()
    engine = Engine(libraries={"pagination": "cqcportal.core.tests.test_pagination"})
    return engine.from_string(source).render(RequestContext(context["request"], context))


def _normalised(html: str) -> str:
    return " ".join(html.split()).replace("> <", "><")


@pytest.mark.parametrize("pages", [1, 2, 3, 5, 7, 12])
def test_the_fragment_draws_every_page_of_every_length_as_the_django_template_did(pages):
    paginator = Paginator(range(pages * 10), 10)
    queries = ("", "q=care+home", "q=care+home&page=2&tasks=3")  # no page asked for, or both lists' pages
    for query, number in [(q, n) for q in queries for n in paginator.page_range]:
        request = RequestFactory().get(f"/x/?{query}")
        page = paginator.page(number)
        for extra in (
            {},
            {"page_param": "tasks", "pagination_label": "Pages of things to do"},
            {"page_range": list(paginator.get_elided_page_range(number, on_each_side=1, on_ends=1))},
        ):
            context = {"request": request, "page_obj": page, **extra}
            mine = render_to_string("includes/pagination.html", context, request=request)
            assert _normalised(mine) == _normalised(_reference(**context)), (query, pages, number, extra)
            if pages > 1:
                assert 'aria-current="page">' + str(number) + "</a>" in mine
