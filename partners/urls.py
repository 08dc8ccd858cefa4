from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("directory/", views.directory, name="directory"),
    path("directory/hsds.json", views.directory_download, name="directory_download"),
    path("directory/check/", views.directory_check, name="directory_check"),
    path("directory/import/", views.directory_import, name="directory_import"),
    path("<id:partner_id>/contacts/new/", views.contact_add, name="contact_add"),
    path("<id:partner_id>/tier/", views.tier_change, name="tier_change"),
    path("contacts/<id:contact_id>/done/", views.next_step_done, name="next_step_done"),
]
