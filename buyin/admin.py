from __future__ import annotations

from django.contrib import admin

from buyin.models import Commendation, RecognitionKind


@admin.register(RecognitionKind)
class RecognitionKindAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "is_active"]
    list_filter = ["agency", "is_active"]


@admin.register(Commendation)
class CommendationAdmin(admin.ModelAdmin):
    """Read only: a commendation is written through the commend page, where its text is checked."""

    list_display = ["officer", "kind", "commended_by", "created_at", "may_name"]
    list_filter = ["agency", "kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
