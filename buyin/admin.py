from __future__ import annotations

from django.contrib import admin

from buyin.models import ChangeMade, Suggestion, SuggestionEvent


class SuggestionEventInline(admin.TabularInline):
    model = SuggestionEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "from_state", "to_state", "note", "notified_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
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
class ChangeMadeAdmin(admin.ModelAdmin):
    """Changes published on "You said, we did"; corrected or withdrawn here."""

    list_display = ["changed_on", "topic", "what", "published_by"]
    list_filter = ["topic"]
    readonly_fields = ["published_by", "published_at"]

    def has_add_permission(self, request) -> bool:
        # Published from "You said, we did", which records who published it.
        return False
