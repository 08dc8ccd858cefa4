from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from buyin.models import ChangeMade, Commendation, OfficerFeedback, RecognitionKind, Suggestion, SuggestionEvent
from deflection.admin import ProgramScopedAdminMixin, RecordAdminMixin


class SuggestionEventInline(admin.TabularInline):
    model = SuggestionEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "from_state", "to_state", "note", "notified_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    """Read-only here: suggestions are answered on the triage page, whose services write the
    history and tell the author."""

    list_display = ["created_at", "topic", "state", "author", "changed_on"]
    list_filter = ["state", "topic"]
    readonly_fields = [
        "author",
        "topic",
        "partner",
        "text",
        "may_name_me",
        "state",
        "answer",
        "changed_on",
        "created_at",
        "state_changed_at",
        "author_seen_at",
    ]
    inlines = [SuggestionEventInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChangeMade)
class ChangeMadeAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    """Changes published on "You said, we did"; corrected or withdrawn here."""

    list_display = ["changed_on", "topic", "what", "published_by"]
    list_filter = ["topic"]
    readonly_fields = ["program", "published_by", "published_at"]

    def has_add_permission(self, request) -> bool:
        # Published from "You said, we did", which records who published it.
        return False


@admin.register(OfficerFeedback)
class OfficerFeedbackAdmin(ProgramScopedAdminMixin, RecordAdminMixin, admin.ModelAdmin):
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
class RecognitionKindAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "agency", "is_active"]
    list_filter = ["agency", "is_active"]


@admin.register(Commendation)
class CommendationAdmin(ProgramScopedAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    """Read only: a commendation is written through the commend page, where its text is checked."""

    list_display = ["officer", "kind", "commended_by", "created_at", "may_name"]
    list_filter = ["agency", "kind"]
