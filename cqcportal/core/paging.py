"""Pagination without the COUNT query when everything fits on the first page.

Django's paginator counts the rows (one query) and then reads the page (another). Most lists people open are short
(most providers have one to three locations and a handful of open windows), so this one reads the first page and
one row more: when that row is not there, the count is what was read and the page is already in hand. A longer list
is counted as usual, so page links stay right, and its first page is the first rows of what was read. See
docs/adr/0013-national-scale.md.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class ShortListPaginator(Paginator):
    """A ``Paginator`` that answers ``count`` and the first page from one read when the list fits on that page."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, head=None):
        """``head``, if given, reads the first ``per_page + orphans + 1`` rows of ``object_list`` (say, a compiled
        read of that slice); without it they are sliced from ``object_list``."""
        super().__init__(object_list, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page)
        self._head: list | None = None
        self._read_head = head

    def _head_fits(self) -> bool:
        """Read the first page and one row more, once; whether that was all of it."""
        if self._head is None:
            wanted = self.per_page + self.orphans + 1
            self._head = list(self._read_head() if self._read_head else self.object_list[:wanted])
            if len(self._head) > wanted:
                raise ValueError(f"The head read {len(self._head)} rows, not at most {wanted}.")
        return len(self._head) <= self.per_page + self.orphans

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet) and self._head_fits():
            return len(self._head)
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        if number == 1 and self._head is not None:
            # The first page is in hand either way: all of the head when it fits, else its first ``per_page`` rows
            # (the page Django would read: more than a page and its orphans remain, so none join it).
            fits = len(self._head) <= self.per_page + self.orphans
            return self._get_page(self._head if fits else self._head[: self.per_page], number, self)
        return super().page(number)
