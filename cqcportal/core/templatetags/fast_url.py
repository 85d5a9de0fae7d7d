"""Django's ``{% url %}``, with each address's shape worked out once a process (a built-in: see settings.TEMPLATES).

``reverse`` costs about 40-70 microseconds a call on this portal's URLconf; a draft report page has seven ``{% url %}``
and the workspace seven, a twentieth of each page. Like ``cqcportal.core.links.link_maker``, this reverses an address
once with stand-ins for its arguments (digits, which every built-in converter except the UUID one accepts) and then
only puts the values in, for each view name, number of arguments, current application, script prefix and URLconf.

Only what cannot change the address's shape goes in that way: arguments that are non-negative whole numbers (the ids
the pages link with). Anything else (a string, keyword arguments, a pattern the stand-ins do not fit) is reversed by
Django as before, so what Django would refuse is still refused.
"""

from __future__ import annotations

import functools

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_STAND_IN = 8273645546372819001  # 19 digits: no id of this portal's


@functools.lru_cache(maxsize=4096)
def _shape(view_name: str, n_args: int, current_app: str | None, prefix: str, urlconf) -> tuple[str, ...] | None:
    """The address's text around its ``n_args`` arguments (n + 1 pieces), or None if it must be reversed each time."""
    stand_ins = [str(_STAND_IN + i) for i in range(n_args)]
    try:
        address = reverse(view_name, args=stand_ins, current_app=current_app, urlconf=urlconf)
    except NoReverseMatch:
        return None
    pieces, rest = [], address
    for stand_in in stand_ins:
        before, found, rest = rest.partition(stand_in)
        if not found or any(other in before for other in stand_ins):
            return None
        pieces.append(before)
    if any(other in rest for other in stand_ins):
        return None
    return (*pieces, rest)


class FastURLNode(URLNode):
    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        if not all(type(arg) is int and arg >= 0 for arg in args):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        shape = _shape(view_name, len(args), current_app, get_script_prefix(), get_urlconf())
        if shape is None:
            return super().render(context)
        address = shape[0] + "".join(str(arg) + piece for arg, piece in zip(args, shape[1:], strict=True))
        if self.asvar:
            context[self.asvar] = address
            return ""
        return conditional_escape(address) if context.autoescape else address


@register.tag
def url(parser, token):
    """Django's ``{% url %}`` (the same arguments and ``as``), faster for addresses made of ids."""
    node = django_url(parser, token)
    return FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)
