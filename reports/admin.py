from __future__ import annotations

from django.contrib import admin

from deflection.admin import AuditedAdminMixin, RecordAdminMixin
from reports.models import Digest, ExportRecord, Milestone, SuccessStory


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["achieved_at", "agency", "kind", "scope", "officer", "unit", "partner"]
    list_filter = ["kind", "agency"]
    readonly_fields = [
        "agency",
        "kind",
        "scope",
        "achieved_at",
        "referral",
        "officer",
        "unit",
        "partner",
        "detected_at",
    ]

    def has_add_permission(self, request) -> bool:
        # Detected from the casework, never typed in.
        return False


@admin.register(SuccessStory)
class SuccessStoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_lists = False  # the list shows no text; a story's page does (it may name the client)

    def audit_subject(self, obj: SuccessStory) -> tuple[int, int | None]:
        return obj.referral.client_id, obj.referral_id

    list_display = ["created_at", "agency", "source", "consent_to_share", "recorded_by"]
    list_filter = ["agency", "source", "consent_to_share"]
    raw_id_fields = ["referral", "recorded_by"]
    readonly_fields = ["consent_recorded_at", "created_at"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["week_start", "agency", "sent_at", "subject"]
    list_filter = ["agency"]
    readonly_fields = ["agency", "week_start", "recipients", "subject", "text", "html", "sent_at", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExportRecord)
class ExportRecordAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "agency", "user", "file_format", "rows", "remote_addr"]
    list_filter = ["agency", "file_format"]
    readonly_fields = ["created_at", "agency", "user", "filters", "file_format", "rows", "remote_addr"]
