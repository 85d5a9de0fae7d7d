"""Long repeated rows rendered with Jinja2, from inside the Django templates (docs/adr/0013-national-scale.md).

Django's template language costs tens of microseconds a table row: the caseload's 50 rows took 4.4 ms to
render and the draft report's forty sections 4.3 ms, more than a third of each page. The pages stay Django
templates; only the rows that repeat are Jinja2 templates in ``templates/fragments/``, included with
``{% fragment "name.html" key=value %}`` (``cqcportal.core.templatetags.fragments``). They receive only what
the tag passes them, autoescape everything, and have the few filters they use: Django's own ``date``,
``linebreaks``, ``filesizeformat`` and ``pluralize``, so dates and text look exactly as on the other pages, and
``url(name, *args)`` for Django's ``reverse`` (rows' own links are better made once, with ``link_maker``).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import html
import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import Context, defaultfilters, engines
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape


@functools.lru_cache(maxsize=8192)
def _date_of_day(value: dt.date, arg: str | None, language: str | None) -> str:
    return defaultfilters.date(value, arg)


# The active language while a fragment renders, looked up once a fragment rather than for every date in it.
_UNSET = object()
_RENDERING_LANGUAGE: contextvars.ContextVar = contextvars.ContextVar("fragment_language", default=_UNSET)


def _date(value, arg: str | None = None) -> str:
    """Django's ``date`` filter; a day (not a moment, which depends on the time zone) is formatted once a process.

    Formatting costs about 19 microseconds, most of a table row's rendering; the days shown are few and repeat."""
    if type(value) is dt.date:
        language = _RENDERING_LANGUAGE.get()
        return _date_of_day(value, arg, get_language() if language is _UNSET else language)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # As Django's templates do before their date filter: a moment is shown in the portal's time zone.
        value = timezone.localtime(value)
    return defaultfilters.date(value, arg)


_NEWLINES = re.compile(r"\r\n|\r")
_PARAGRAPHS = re.compile("\n{2,}")


def _linebreaks(value) -> SafeString:
    """Django's ``linebreaks`` filter with autoescaping on (paragraphs split at blank lines, each in <p>, single line
    breaks as <br>), giving the same HTML without Django's lazy-text wrappers around each step: a draft report's
    sections went through it 20 times a page at 30 microseconds each, a tenth of the page."""
    text = _NEWLINES.sub("\n", str(value))
    if isinstance(value, SafeData):  # as Django's: text already safe is not escaped again
        paragraphs = [f"<p>{p}</p>".replace("\n", "<br>") for p in _PARAGRAPHS.split(text)]
    else:
        paragraphs = [f"<p>{html.escape(p)}</p>".replace("\n", "<br>") for p in _PARAGRAPHS.split(text)]
    return mark_safe("\n\n".join(paragraphs))


@functools.lru_cache(maxsize=256)
def _fixed_url(viewname: str, prefix: str, urlconf: str) -> str:
    return reverse(viewname, urlconf=urlconf)


def _url(viewname: str, *args) -> str:
    """Django's ``reverse``; an address without arguments (the navigation's) is worked out once a process for each
    script prefix and URL configuration, which are all it depends on."""
    if args:
        return reverse(viewname, args=args)
    return _fixed_url(viewname, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(settings.BASE_DIR / "templates" / "fragments"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        # A name the fragment was not given is an error, not an empty string: a renamed field fails the tests.
        undefined=StrictUndefined,
        auto_reload=settings.DEBUG,
    )
    env.filters.update(
        {
            "date": _date,
            "linebreaks": _linebreaks,
            "filesizeformat": defaultfilters.filesizeformat,
            "pluralize": defaultfilters.pluralize,
            "capfirst": defaultfilters.capfirst,
        }
    )
    env.filters["floatformat"] = defaultfilters.floatformat
    env.globals.update(
        {
            "url": _url,
            "page_querystring": _page_querystring,
            "static": static,
            # Django's {% now "Y" %}: the year where the portal is.
            "this_year": lambda: str(timezone.localtime().year),
        }
    )
    return env


def _page_querystring(query, number, param: str = "") -> str:
    """``query`` (a QueryDict) with ``param`` ("page" if not given) set to ``number``: a list's page link, keeping
    everything else (search terms, filters, the other lists' pages)."""
    param = param or "page"
    if param not in query:  # the first page of a list: the page goes at the end
        rest = query.urlencode()
        page = urlencode({param: number})
        return f"?{rest}&{page}" if rest else f"?{page}"
    params = query.copy()
    params[param] = number
    return f"?{params.urlencode()}"


_ENVIRONMENT: Environment | None = None


def environment() -> Environment:
    """The fragments' Jinja2 environment (made once a process)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = _environment()
    return _ENVIRONMENT


def render_fragment(name: str | Template, context: dict) -> SafeString:
    """The fragment ``name`` (or a template of the fragments' environment) rendered with ``context``, as HTML for a
    Django template."""
    template = environment().get_template(name)
    language = _RENDERING_LANGUAGE.set(get_language())
    try:
        html_text = template.render(context)
    finally:
        _RENDERING_LANGUAGE.reset(language)
    return mark_safe(_as_django_escapes(html_text))  # Jinja2 escaped every value


def render_page(request: HttpRequest, name: str, context: dict, *, status: int = 200) -> HttpResponse:
    """A whole page drawn by Jinja2: the template ``name`` (which extends ``layout.html``, base.html's twin) with
    ``context`` and what Django's context processors give every Django page (the user, messages, the CSRF token,
    the portal's names and counts), as ``django.shortcuts.render`` answers for a Django template.

    For the busiest signed-in pages (docs/adr/0013-national-scale.md): Django's templates took 1.4 ms to draw the
    caseload, its layout a third of a millisecond of that.
    """
    return HttpResponse(page_html(request, name, context), status=status)


def page_html(request: HttpRequest, name: str | Template, context: dict) -> SafeString:
    """The HTML of :func:`render_page`."""
    page_context = {}
    for processor in _context_processors():
        page_context.update(processor(request))
    page_context.update(context)
    page_context["request"] = request
    template = environment().get_template(name)
    if template_rendered.has_listeners():  # Django's test client: response.context and .templates, as for Django's
        template_rendered.send(sender=Template, template=template, context=_TestedContext(page_context))
    return render_fragment(template, page_context)


class _TestedContext(Context):
    """What the test client keeps as ``response.context`` for a Jinja2 page: Django's context, with ``keys()`` as
    the list of contexts it gives for a Django page (one for each template) has."""

    def keys(self):
        return self.flatten().keys()


@functools.cache
def _context_processors() -> tuple:
    """Django's context processors for its templates: the CSRF token's, then those the settings name."""
    return engines["django"].engine.template_context_processors


def _as_django_escapes(html_text: str) -> str:
    """Jinja2's escaping (MarkupSafe's) writes a quote as &#34; and an apostrophe as &#39;; Django writes &quot; and
    &#x27;. The same text should be the same bytes whichever engine put it on the page, so they are rewritten here,
    once for the whole fragment: cheaper than escaping each value Django's way (a caseload page writes 400 values).

    Only escaping can have written them. The fragments' own text has none (``test_fragments.py`` checks), and an
    escaped value cannot contain one: its "&" became "&amp;". Django's safe strings already use Django's escapes.
    """
    if "&#3" not in html_text:
        return html_text
    return html_text.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
