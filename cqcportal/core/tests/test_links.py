"""Row links from one reverse: the same addresses as Django's reverse, for ids and slugs."""

import pytest
from django.urls import NoReverseMatch, reverse

from cqcportal.core.links import link_maker


@pytest.mark.parametrize(
    ("viewname", "fixed", "values"),
    [
        ("assessments:workspace", (), [1, 42, 1234567890123]),
        ("assessments:statement", (7,), ["safe-environments", "learning_culture", "x1"]),
        ("factual_accuracy:section", (12,), [3, "99"]),
    ],
)
def test_links_are_the_addresses_reverse_gives(viewname, fixed, values):
    link = link_maker(viewname, *fixed)
    for value in values:
        assert link(value) == reverse(viewname, args=[*fixed, value])


def test_a_value_that_is_not_a_plain_slug_is_reversed_in_full():
    link = link_maker("assessments:statement", 7)
    with pytest.raises(NoReverseMatch):
        link("not a slug/../x")  # reverse refuses it too, rather than building a wrong address


def test_a_view_that_takes_no_such_argument_is_refused_when_the_maker_is_made():
    with pytest.raises(NoReverseMatch):
        link_maker("core:home")


def test_links_with_two_values_that_change_from_row_to_row():
    link = link_maker("register:organisation-location", varying=2)
    for provider, location in [(1, 2), (3149, 10335), (10335, 3149), (7, 7)]:
        assert link(provider, location) == reverse("register:organisation-location", args=[provider, location])
    with pytest.raises(NoReverseMatch):
        link(1, "not a slug/../x")  # reversed in full, and refused as reverse refuses it
