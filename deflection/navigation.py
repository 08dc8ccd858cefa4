"""URLs without arguments, as the menu and every page's frame name them.

reverse() walks the URL patterns at each call (about 20 microseconds); every signed-in page
names some twenty such URLs, the same for every request under one script prefix. Each is
reversed once per process and script prefix.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, reverse


@lru_cache(maxsize=1024)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)  # reverse() reads the script prefix that `prefix` is


def url_of(name: str) -> str:
    """reverse(name) for a URL name that takes no arguments."""
    return _reversed(name, get_script_prefix())
