from __future__ import annotations

from django.contrib import admin

from partners.models import RelationshipNote, ServicePartner


class RelationshipNoteInline(admin.TabularInline):
    model = RelationshipNote
    extra = 0
    fields = ["created_at", "tier", "note", "author"]
    readonly_fields = ["created_at"]


@admin.register(ServicePartner)
class ServicePartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_24_7", "capacity_status", "engagement_tier", "is_active"]
    list_filter = ["kind", "is_24_7", "capacity_status", "engagement_tier", "is_active", "agencies"]
    search_fields = ["name", "services", "address"]
    filter_horizontal = ["agencies"]
    raw_id_fields = ["lead"]
    inlines = [RelationshipNoteInline]
