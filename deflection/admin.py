from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from deflection.models import Agency, Unit, User


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "timezone", "booking_minutes", "booking_cost", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name"]
    inlines = [UnitInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "timezone", "is_demo"]}),
        (
            _("Booking cost model"),
            {
                "fields": ["booking_minutes", "booking_cost", "default_deflection_minutes"],
                "description": _("Used for time saved versus arrest and cost avoided."),
            },
        ),
    ]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "agency", "unit", "partner", "is_active"]
    list_filter = ["role", "agency", "partner", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "badge_number"]
    list_select_related = ["agency", "unit", "partner"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Program"), {"fields": ["role", "agency", "unit", "badge_number", "partner"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Program"), {"fields": ["role", "agency", "unit", "badge_number", "partner"]}),
    ]
