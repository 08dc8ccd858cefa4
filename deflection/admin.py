from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deflection import audit
from deflection.models import AccessEvent, Agency, Unit, User
from deflection.permissions import may_review_access


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
    actions = ["lift_sign_in_pause"]

    @admin.action(description=_("Lift the sign-in pause after wrong passwords"), permissions=["change"])
    def lift_sign_in_pause(self, request, queryset) -> None:
        """What the lockout page tells users to ask for: their pause ends now, from every
        address, and so does the pause of any address they were refused at (too many
        failures there on any usernames). The failures stay on record (Axes: access
        failures); the lifting is in each user's history."""
        from axes.models import AccessAttempt, AccessFailureLog

        usernames = [u.username for u in queryset]
        refused_at = set(
            AccessFailureLog.objects.filter(username__in=usernames, locked_out=True).values_list(
                "ip_address", flat=True
            )
        )
        lifted, _by_model = AccessAttempt.objects.filter(
            Q(username__in=usernames) | Q(ip_address__in=refused_at - {None})
        ).delete()
        for user in queryset:
            self.log_change(request, user, [{"changed": {"fields": [str(_("sign-in pause lifted"))]}}])
        self.message_user(
            request,
            _("Sign-in pause lifted (%(n)d record(s)).") % {"n": lifted}
            if lifted
            else _("None of these users was paused."),
        )

    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Program"), {"fields": ["role", "agency", "unit", "badge_number", "partner", "language"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Program"), {"fields": ["role", "agency", "unit", "badge_number", "partner", "language"]}),
    ]


class RecordAdminMixin:
    """A record kept as it was written: readable in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Read only, for the program administrator: filter by user, client id and date."""

    list_display = ["at", "user", "role", "action", "what", "client_id", "referral_id", "address"]
    list_filter = ["action", "role", ("user", admin.RelatedOnlyFieldListFilter), "agency", "partner", "at"]
    search_fields = ["=client_id", "=referral_id", "user__username", "user__last_name", "what"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    show_full_result_count = False
    readonly_fields = [f.name for f in AccessEvent._meta.fields]

    def has_module_permission(self, request) -> bool:
        return may_review_access(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_review_access(request.user)

    def get_actions(self, request):
        return {}  # no bulk delete


class AuditedAdminMixin:
    """Records the clients an admin page shows (see deflection.audit): lists, change pages,
    history pages and delete confirmations.

    `audit_subject(obj)` gives (client id, referral id or None) for one row, or
    `audit_subjects(obj)` several. A model whose list shows no client sets
    `audit_lists = False`.
    """

    audit_lists = True

    def audit_subject(self, obj) -> tuple[int, int | None]:  # pragma: no cover - overridden
        raise NotImplementedError

    def audit_subjects(self, obj) -> list[tuple[int, int | None]]:
        return [self.audit_subject(obj)]

    def _audit(self, request, action: str, what: str, objs) -> None:
        subjects = [subject for obj in objs for subject in self.audit_subjects(obj)]
        audit.record(request, action=action, what=f"admin: {what}", subjects=subjects)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = getattr(response, "context_data", {}).get("object")
        if obj is not None:
            self._audit(request, audit.Action.VIEWED, f"{self.model._meta.verbose_name} history", [obj])
        return response

    def get_deleted_objects(self, objs, request):
        # Both the delete page and the "delete selected" confirmation list what would go.
        self._audit(request, audit.Action.LISTED, f"delete {self.model._meta.verbose_name_plural}", list(objs))
        return super().get_deleted_objects(objs, request)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and self.audit_lists:
            self._audit(request, audit.Action.LISTED, self.model._meta.verbose_name_plural, changelist.result_list)
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if object_id and original is not None:
            self._audit(request, audit.Action.VIEWED, self.model._meta.verbose_name, [original])
        return response
