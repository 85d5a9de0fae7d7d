"""{% url %} with each address's shape worked out once: the same addresses as Django's, and the same refusals."""

import pytest
from django.template import Context, Engine, engines
from django.template.defaulttags import URLNode
from django.urls import NoReverseMatch, get_resolver, reverse, set_script_prefix

from cqcportal.core.templatetags import fast_url
from cqcportal.tests.urlconf import url_names


def _portal(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def _django_s(source: str, **context) -> str:
    """The same template through an engine with Django's own {% url %} (no built-in of the portal's)."""
    return Engine().from_string(source).render(Context(context))


def _arity(name: str) -> set[int]:
    """How many arguments the named URL's patterns take."""
    view = name.rpartition(":")[2]
    resolver = get_resolver()
    namespaces = name.split(":")[:-1]
    for namespace in namespaces:
        resolver = resolver.namespace_dict[namespace][1]
    return {len(params) for possibility in resolver.reverse_dict.getlist(view) for _, params in possibility[0]}


def test_every_address_of_the_portal_made_of_ids_is_the_one_django_makes():
    checked = 0
    for name in sorted(url_names()):
        for n in _arity(name):
            args = " ".join(str(7 + i * 1000) for i in range(n))
            source = f"{{% url '{name}' {args} %}}"
            try:
                expected = _django_s(source)
            except NoReverseMatch:  # a slug or a word, not an id: Django refuses, and so does the portal
                with pytest.raises(NoReverseMatch):
                    _portal(source)
                continue
            assert _portal(source) == expected, name
            assert _portal(source) == expected  # the second time from the shape worked out the first
            checked += 1
    assert checked >= 60


def test_words_keyword_arguments_and_as_are_as_django_s():
    pk = reverse("assessments:assessment-transition", args=[5, "start"])
    assert _portal("{% url 'assessments:assessment-transition' 5 'start' %}") == pk
    assert _portal("{% url 'assessments:workspace' pk=12 %}") == reverse("assessments:workspace", args=[12])
    assert _portal("{% url 'assessments:workspace' pk as link %}[{{ link }}]", pk=12) == (
        f"[{reverse('assessments:workspace', args=[12])}]"
    )
    # What Django refuses is refused: a word where an id goes, a negative number, too many arguments.
    for source in ("{% url 'assessments:workspace' 'x' %}", "{% url 'assessments:workspace' -3 %}"):
        with pytest.raises(NoReverseMatch):
            _portal(source)
    with pytest.raises(NoReverseMatch):
        _portal("{% url 'assessments:workspace' 1 2 %}")
    assert _portal("{% url 'assessments:workspace' 1 2 as link %}[{{ link }}]") == "[]"
    # True is an int to Python, not an id.
    with pytest.raises(NoReverseMatch):
        _portal("{% url 'assessments:workspace' yes %}", yes=True)


def test_the_shape_follows_the_script_prefix():
    try:
        set_script_prefix("/portal/")
        assert _portal("{% url 'assessments:workspace' 3 %}") == "/portal/assessments/3/"
    finally:
        set_script_prefix("/")
    assert _portal("{% url 'assessments:workspace' 3 %}") == reverse("assessments:workspace", args=[3])


def test_the_portal_s_templates_use_the_fast_tag():
    template = engines["django"].from_string("{% url 'assessments:workspace' 3 %}")
    nodes = template.template.nodelist.get_nodes_by_type(URLNode)
    assert [type(node) for node in nodes] == [fast_url.FastURLNode]
