"""``{% fragment "name.html" key=value ... %}``: a Jinja2 fragment's rows in a Django page.

See ``cqcportal.core.fragments``.
"""

from django import template

from cqcportal.core.fragments import render_fragment

register = template.Library()


@register.simple_tag
def fragment(name: str, **context):
    return render_fragment(name, context)
