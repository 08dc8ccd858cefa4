"""Pages of the API's lists: ?page=N, 50 a page, with the total and the next and previous pages."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    page_size = 50
