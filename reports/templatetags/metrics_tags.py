from __future__ import annotations

from django import template

from reports.metrics import small_cell as _small_cell

register = template.Library()


@register.filter
def small_cell(count: int) -> str:
    return _small_cell(int(count))
