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
        read of that slice); without it they are sliced from ``object_list``. With ``head``, ``object_list`` may be
        a function that builds the queryset: it is built only if the list does not fit on its first page, since
        building a queryset costs Django more than the compiled read of the head."""
        self._build = object_list if head is not None and callable(object_list) else None
        self._object_list = None
        super().__init__(
            None if self._build else object_list,
            per_page,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )
        self._head: list | None = None
        self._read_head = head

    @property
    def object_list(self):
        if self._object_list is None and self._build is not None:
            self._object_list = self._build()
            super()._check_object_list_is_ordered()
        return self._object_list

    @object_list.setter
    def object_list(self, value) -> None:
        self._object_list = value

    def _check_object_list_is_ordered(self) -> None:
        if self._build is None:  # a list still to be built is checked when it is built
            super()._check_object_list_is_ordered()

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
        if (self._build is not None or isinstance(self.object_list, QuerySet)) and self._head_fits():
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
