from __future__ import annotations

from django.contrib import admin

from referrals.models import CaseEvent, Client, FollowUp, Officer, Referral


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "badge_number", "agency", "unit", "is_active"]
    list_filter = ["agency", "unit", "is_active"]
    search_fields = ["display_name", "badge_number"]
    list_select_related = ["agency", "unit"]
    raw_id_fields = ["user"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "agency", "preferred_language", "created_at"]
    list_filter = ["agency", "preferred_language"]
    search_fields = ["first_name", "last_name", "aliases"]
    readonly_fields = ["search_name", "created_by", "created_at"]
    list_select_related = ["agency"]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    fields = ["kind", "due_at", "assigned_to", "reminded_at", "completed_at", "outcome"]
    raw_id_fields = ["assigned_to"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "reason", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        # History is written by the services only.
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["id", "occurred_at", "agency", "officer", "partner", "pathway", "status"]
    list_filter = ["status", "pathway", "agency", "partner", "naloxone_administered", "warm_handoff"]
    date_hierarchy = "occurred_at"
    search_fields = ["id", "client__last_name", "client__first_name", "officer__badge_number"]
    list_select_related = ["agency", "officer", "partner"]
    raw_id_fields = ["client", "officer", "created_by"]
    # Status changes go through the services, which write the case history.
    readonly_fields = ["status", "status_reason", "status_changed_at", "created_at", "created_by"]
    inlines = [FollowUpInline, CaseEventInline]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["referral", "kind", "due_at", "assigned_to", "reminded_at", "completed_at", "outcome"]
    list_filter = ["kind", "outcome"]
    raw_id_fields = ["referral", "assigned_to"]
    date_hierarchy = "due_at"


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "referral", "kind", "from_status", "to_status", "actor"]
    list_filter = ["kind", "to_status"]
    raw_id_fields = ["referral", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
