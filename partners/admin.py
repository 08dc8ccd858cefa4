from __future__ import annotations

from django.contrib import admin

from deflection.admin import ProgramScopedAdminMixin
from partners.models import PartnerContact, PartnerTierChange, ServicePartner


class PartnerContactInline(admin.TabularInline):
    """The relationship log, to read: contacts are added on the partner's page."""

    model = PartnerContact
    extra = 0
    fields = [
        "contact_on",
        "kind",
        "recorded_by",
        "met_with",
        "what",
        "next_step",
        "next_step_due",
        "next_step_done_at",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PartnerTierChangeInline(admin.TabularInline):
    """The tier history: written only by partner_tier_change, so nothing here edits it."""

    model = PartnerTierChange
    extra = 0
    fields = ["changed_at", "from_tier", "to_tier", "reason", "changed_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServicePartner)
class ServicePartnerAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "is_24_7", "capacity_status", "engagement_tier", "is_active"]
    list_filter = ["kind", "is_24_7", "capacity_status", "engagement_tier", "is_active", "agencies"]
    search_fields = ["name", "services", "address"]
    filter_horizontal = ["agencies"]
    raw_id_fields = ["lead"]
    # The tier changes on the partner's page, with a reason (partners.services.partner_tier_change):
    # an edit here would leave no trace in the tier history.
    readonly_fields = ["engagement_tier"]
    inlines = [PartnerTierChangeInline, PartnerContactInline]
