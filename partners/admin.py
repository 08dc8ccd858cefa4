from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from deflection.admin import ProgramScopedAdminMixin
from deflection.permissions import may_exchange_partner_directory
from partners.models import PartnerContact, PartnerOpening, PartnerTierChange, ServicePartner
from partners.views import hsds_file_response


class PartnerOpeningInline(admin.TabularInline):
    """The partner's opening hours, a row per day and stretch (none for a partner open 24/7)."""

    model = PartnerOpening
    extra = 0


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


@admin.action(description=_("Export as HSDS"))
def export_as_hsds(modeladmin, request, queryset):
    """The selected partners as an Open Referral HSDS 3.0 JSON file."""
    if not may_exchange_partner_directory(request.user):
        raise PermissionDenied
    return hsds_file_response(queryset)


@admin.register(ServicePartner)
class ServicePartnerAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "is_24_7", "capacity_status", "engagement_tier", "is_active"]
    list_filter = ["kind", "is_24_7", "capacity_status", "engagement_tier", "is_active", "agencies"]
    search_fields = ["name", "services", "address"]
    actions = [export_as_hsds]
    filter_horizontal = ["agencies"]
    raw_id_fields = ["lead"]
    # The tier changes on the partner's page, with a reason (partners.services.partner_tier_change):
    # an edit here would leave no trace in the tier history.
    readonly_fields = ["engagement_tier", "hsds_id"]
    inlines = [PartnerOpeningInline, PartnerTierChangeInline, PartnerContactInline]
