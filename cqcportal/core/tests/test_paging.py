"""The paginator that reads a short list once: the same pages as Django's, one query fewer when the list fits."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cqcportal.core.paging import ShortListPaginator

pytestmark = pytest.mark.django_db


def _rows():
    return ContentType.objects.order_by("pk")


def _read(paginator_class, per_page, number, orphans=0):
    with CaptureQueriesContext(connection) as ctx:
        page = paginator_class(_rows(), per_page, orphans=orphans).get_page(number)
        shown = [row.pk for row in page]
        facts = (page.paginator.count, page.paginator.num_pages, page.has_next(), page.start_index(), page.end_index())
    return shown, facts, len(ctx.captured_queries)


def test_a_list_that_fits_on_the_first_page_is_read_once():
    total = _rows().count()
    shown, facts, queries = _read(ShortListPaginator, total, 1)
    assert queries == 1
    assert (shown, facts) == _read(Paginator, total, 1)[:2]
    assert facts[0] == total and len(shown) == total


@pytest.mark.parametrize("number", [1, 2, "last", 999, "not a number"])
def test_a_longer_list_is_counted_and_paged_as_django_does(number):
    total = _rows().count()
    per_page = total // 3
    shown, facts, queries = _read(ShortListPaginator, per_page, number)
    assert (shown, facts) == _read(Paginator, per_page, number)[:2]
    assert facts[0] == total
    assert queries <= 3  # the first page and one row, the count, the page asked for
    if number in (1, "not a number"):
        assert queries == 2  # the first page is the head's first rows: only the count is added


def test_a_longer_lists_first_page_keeps_what_the_queryset_prefetched():
    rows = ContentType.objects.order_by("pk").prefetch_related("permission_set")
    per_page = rows.count() // 3
    with CaptureQueriesContext(connection) as ctx:
        page = ShortListPaginator(rows, per_page).get_page(1)
        permissions = [[p.codename for p in row.permission_set.all()] for row in page]
    # The head with its prefetch, and the count; the rows' permissions come from the prefetch.
    assert len(ctx.captured_queries) == 3 and len(permissions) == per_page
    assert permissions == [
        [p.codename for p in row.permission_set.all()] for row in Paginator(rows, per_page).get_page(1)
    ]


@pytest.mark.parametrize("spare", [0, 1, 2])
def test_orphans_at_the_edge_of_the_first_page(spare):
    """One row more than a page, with orphans that let it join the first page or not."""
    total = _rows().count()
    per_page = total - 2
    shown, facts, _ = _read(ShortListPaginator, per_page, 1, orphans=spare)
    assert (shown, facts) == _read(Paginator, per_page, 1, orphans=spare)[:2]
    assert len(shown) == (total if spare >= 2 else per_page)


def test_an_empty_list_is_one_empty_page():
    with CaptureQueriesContext(connection) as ctx:
        page = ShortListPaginator(ContentType.objects.none(), 10).get_page(1)
    assert list(page) == [] and page.paginator.count == 0 and page.paginator.num_pages == 1
    assert len(ctx.captured_queries) == 0


def _head_of(per_page, orphans=0):
    return lambda: list(_rows()[: per_page + orphans + 1])


def test_a_list_built_on_demand_is_not_built_when_it_fits_on_the_first_page():
    total = _rows().count()
    built = []

    def build():
        built.append(1)
        return _rows()

    page = ShortListPaginator(build, total, head=_head_of(total)).get_page(1)
    assert [row.pk for row in page] == list(_rows().values_list("pk", flat=True))
    assert (page.paginator.count, page.paginator.num_pages, page.has_next()) == (total, 1, False)
    assert built == []


@pytest.mark.parametrize("number", [1, 2, "last"])
def test_a_list_built_on_demand_that_does_not_fit_is_built_once_and_paged_as_django_does(number):
    total = _rows().count()
    per_page = total // 3
    built = []

    def build():
        built.append(1)
        return _rows()

    page = ShortListPaginator(build, per_page, head=_head_of(per_page)).get_page(number)
    expected = Paginator(_rows(), per_page).get_page(number)
    assert [row.pk for row in page] == [row.pk for row in expected]
    assert (page.paginator.count, page.number) == (total, expected.number)
    assert page.paginator.num_pages == expected.paginator.num_pages
    assert built == [1]
