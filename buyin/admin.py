from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from buyin.models import Commendation, OfficerFeedback, RecognitionKind
from deflection.admin import RecordAdminMixin


@admin.register(OfficerFeedback)
class OfficerFeedbackAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Read only, and without the officer or the referral: feedback is read for what it says,
    never to find out who said it (the rows keep the officer only to ask once a shift)."""

    list_display = ["answered_at", "ease", "obstacle_list", "comment"]
    list_filter = ["ease", "answered_at"]
    date_hierarchy = "answered_at"
    fields = ["answered_at", "ease", "obstacle_list", "comment"]
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("obstacles")

    @admin.display(description=_("what got in the way"))
    def obstacle_list(self, obj: OfficerFeedback) -> str:
        return ", ".join(str(o) for o in obj.obstacles.all()) or "—"


@admin.register(RecognitionKind)
class RecognitionKindAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "is_active"]
    list_filter = ["agency", "is_active"]


@admin.register(Commendation)
class CommendationAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Read only: a commendation is written through the commend page, where its text is checked."""

    list_display = ["officer", "kind", "commended_by", "created_at", "may_name"]
    list_filter = ["agency", "kind"]
