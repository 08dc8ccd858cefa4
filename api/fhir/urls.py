"""FHIR R4 at /fhir/ (URL names fhir:<name>). Ids in the paths are the resources' ids: a
referral's for its Task and ServiceRequest, a client's for the Patient, never a name."""

from __future__ import annotations

from django.urls import path, re_path

import deflection.converters  # noqa: F401 (registers <id:...>)
from api.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("Task", views.TaskSearchView.as_view(), name="task_search"),
    path("Task/<id:referral_id>", views.TaskView.as_view(), name="task"),
    path("ServiceRequest/<id:referral_id>", views.ServiceRequestView.as_view(), name="service_request"),
    path("Patient/<id:client_id>", views.PatientView.as_view(), name="patient"),
    path("Consent/<id:consent_id>", views.ConsentView.as_view(), name="consent"),
    path("Organization/<str:organization_id>", views.OrganizationView.as_view(), name="organization"),
    # Anything else answers an OperationOutcome too, not the app's HTML 404 page.
    re_path(r"^.*$", views.UnsupportedView.as_view(), name="unsupported"),
]
