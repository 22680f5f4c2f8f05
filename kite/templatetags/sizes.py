"""`filesize`: Django's filesizeformat without a trailing ".0" ("100 MB", "1.5 GB"), loaded in every template."""

import re

from django import template
from django.template.defaultfilters import filesizeformat

register = template.Library()

_WHOLE = re.compile(r"[.,]0(?=\s)")


@register.filter(is_safe=True)
def filesize(value) -> str:
    """A size as people write it: whole numbers without a decimal, others with one (static/js/live.js matches)."""
    return _WHOLE.sub("", filesizeformat(value), count=1)
