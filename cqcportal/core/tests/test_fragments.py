"""Rows rendered with Jinja2: escaped exactly as Django escapes, dates as Django writes them, strict about names."""

import datetime as dt

import pytest
from django.template import engines
from django.utils.functional import lazy, lazystr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from jinja2 import UndefinedError

from cqcportal.core import fragments
from cqcportal.core.fragments import render_fragment

TYPED = """<script>alert("x")</script> O'Neil & "Sons" """


@pytest.fixture
def fragment_dir(tmp_path, settings, monkeypatch):
    """Fragments from a directory of the test's own."""
    settings.BASE_DIR = tmp_path
    (tmp_path / "templates" / "fragments").mkdir(parents=True)
    monkeypatch.setattr(fragments, "_ENVIRONMENT", None)
    yield tmp_path / "templates" / "fragments"
    fragments._ENVIRONMENT = None


def test_text_is_escaped_byte_for_byte_as_django_escapes_it_and_safe_html_is_kept(fragment_dir):
    (fragment_dir / "t.html").write_text("<p>{{ text }}</p>{{ safe }}")
    html = render_fragment("t.html", {"text": TYPED, "safe": mark_safe("<em>kept</em>")})
    assert html == f"<p>{escape(TYPED)}</p><em>kept</em>"
    assert "&quot;" in html and "&#x27;" in html and "<script>" not in html


def test_text_that_looks_like_an_escape_is_escaped_as_django_escapes_it(fragment_dir):
    # Only escaping writes a quote's entity: typed entities, in text or in an attribute, stay as typed.
    typed = '&#34;quoted&#34; &#39;x&#39; &quot;y&quot; "real"'
    (fragment_dir / "e.html").write_text('<a title="{{ text }}">{{ text }}</a>{{ safe }}')
    django_s = mark_safe("<i>&quot;Django&#x27;s&quot;</i>")
    html = render_fragment("e.html", {"text": typed, "safe": django_s})
    assert html == f'<a title="{escape(typed)}">{escape(typed)}</a>{django_s}'
    assert "&amp;#34;quoted&amp;#34;" in html and "&quot;real&quot;" in html


def test_the_portal_s_fragments_write_no_quote_entities_of_their_own():
    """The fragments' text is written as it is; the rewrite of MarkupSafe's quote escapes must not touch any of it."""
    from django.conf import settings

    folder = settings.BASE_DIR / "templates" / "fragments"
    sources = {path.name: path.read_text() for path in folder.rglob("*.html")}
    assert len(sources) >= 10
    assert [name for name, text in sources.items() if "&#34;" in text or "&#39;" in text] == []


def test_lazy_text_numbers_and_lazy_safe_html_are_written_as_django_writes_them(fragment_dir):
    (fragment_dir / "l.html").write_text("{{ lazy }}|{{ number }}|{{ lazy_safe }}|{{ nothing }}")
    values = {
        "lazy": lazystr(TYPED),
        "number": 3,
        "lazy_safe": lazy(mark_safe, SafeString)("<b>x</b>"),
        "nothing": None,
    }
    django_s = engines["django"].from_string("{{ lazy }}|{{ number }}|{{ lazy_safe }}|{{ nothing }}").render(values)
    assert render_fragment("l.html", values) == django_s == f"{escape(TYPED)}|3|<b>x</b>|None"


def test_dates_are_written_as_django_writes_them_and_a_missing_date_is_empty(fragment_dir):
    (fragment_dir / "d.html").write_text(
        '{{ day|date("j M Y") }}|{{ moment|date("j F Y H:i") }}|{{ none|date("j M Y") }}'
    )
    day = dt.date(2026, 12, 25)
    moment = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 on 2 June in London
    context = {"day": day, "moment": moment, "none": None}
    django_page = engines["django"].from_string(
        '{{ day|date:"j M Y" }}|{{ moment|date:"j F Y H:i" }}|{{ none|date:"j M Y" }}'
    )
    for _ in range(2):  # the second time from the cache of days
        html = render_fragment("d.html", context)
        assert html == django_page.render(context)
    assert html.startswith("25 Dec 2026|2 June 2026 00:30")


def test_a_day_is_written_in_the_language_active_when_the_fragment_renders(fragment_dir):
    from django.utils import translation

    (fragment_dir / "m.html").write_text('{{ day|date("j M Y") }}')
    context = {"day": dt.date(2026, 12, 25)}
    assert render_fragment("m.html", context) == "25 Dec 2026"
    with translation.override("de"):
        assert render_fragment("m.html", context) == "25 Dez 2026"
    assert render_fragment("m.html", context) == "25 Dec 2026"
    assert fragments._RENDERING_LANGUAGE.get() is fragments._UNSET  # nothing left behind after a render


def test_linebreaks_escapes_the_text_it_breaks(fragment_dir):
    (fragment_dir / "l.html").write_text("{{ text|linebreaks }}")
    html = render_fragment("l.html", {"text": "one <b>\n\ntwo"})
    assert html == "<p>one &lt;b&gt;</p>\n\n<p>two</p>"


@pytest.mark.parametrize(
    "text",
    [
        "one <b>\n\ntwo",
        TYPED + "\r\nsecond line\r\n\r\n\r\nnext paragraph\rafter a lone return\n",
        "",
        "\n\nstarts and ends blank\n\n",
        "&amp; already looks escaped\n\n&lt;",
        mark_safe("<em>safe</em>\n\n<strong>kept</strong>\nbroken"),
        None,
        42,
    ],
)
def test_linebreaks_gives_what_django_s_filter_gives(fragment_dir, text):
    (fragment_dir / "l.html").write_text("{{ text|linebreaks }}")
    django_s = engines["django"].from_string("{{ text|linebreaks }}").render({"text": text})
    assert render_fragment("l.html", {"text": text}) == django_s


def test_a_name_the_fragment_was_not_given_is_an_error(fragment_dir):
    (fragment_dir / "m.html").write_text("{{ missing }}")
    with pytest.raises(UndefinedError):
        render_fragment("m.html", {})


def test_the_tag_renders_a_fragment_inside_a_django_template(fragment_dir):
    (fragment_dir / "rows.html").write_text("{% for r in rows %}<li>{{ r }}</li>{% endfor %}")
    page = engines["django"].from_string('{% load fragments %}<ul>{% fragment "rows.html" rows=rows %}</ul>')
    assert page.render({"rows": ["a", "<b>"]}) == "<ul><li>a</li><li>&lt;b&gt;</li></ul>"
