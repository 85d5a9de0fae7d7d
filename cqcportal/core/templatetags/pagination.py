"""The links of a paginated list, for a page that shows more than one list (each with its own page number)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_querystring(context, number, param: str = "") -> str:
    """The current query string with ``param`` (the list's page parameter, "page" if not given) set to ``number``,
    keeping everything else (search terms, filters, the other lists' pages)."""
    params = context.request.GET.copy()
    params[param or "page"] = number
    return f"?{params.urlencode()}"
