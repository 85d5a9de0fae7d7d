"""The pagination links: each keeps the rest of the query string and changes only its own list's page."""

import re

from django.core.paginator import Paginator
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
