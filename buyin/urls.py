from __future__ import annotations

import deflection.converters  # noqa: F401 (registers <id:...>)

app_name = "buyin"

urlpatterns: list = []
