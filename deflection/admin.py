from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from deflection import audit
from deflection.models import Agency, Program, Unit, User
from deflection.permissions import PROGRAM_PATHS, in_program
from referrals.services import officer_sync, officers_retire


def _in_scope(rows, user: User):
    """The rows of a related model the user may pick: their program's (PROGRAM_PATHS), or
    all of a model that belongs to no program."""
    return in_program(rows, user) if rows.model._meta.label in PROGRAM_PATHS else rows


class InProgramFilter(admin.RelatedFieldListFilter):
    """A list filter by a related row (an agency, a partner, a user) that offers only the
    rows of the user's program: the names of another program's agencies are not theirs."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        rows = _in_scope(field.related_model._default_manager.all(), request.user)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"pk__in": rows.values("pk")})


class ProgramScopedChoicesMixin:
    """The choices of each related field (raw ids included) are the user's program's rows."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _in_scope(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _in_scope(field.queryset, request.user)
        return field


class ProgramScopedAdminMixin(ProgramScopedChoicesMixin):
    """A program administrator sees, opens and picks only their program's rows (a superuser
    all): the list and every page read `scoped`, the choices of each related field and list
    filter are the program's, and another program's row answers 404 like a missing one."""

    def scoped(self, request, rows):
        return in_program(rows, request.user)

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django's admin redirects to its index with "does not exist"; the app answers 404,
        # whether the row is missing or another program's.
        raise Http404

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, InProgramFilter)
            filters.append(entry)
        return filters

    def save_related(self, request, form, formsets, change) -> None:
        # A many-to-many field offers only the program's rows: the form would drop the
        # others (a partner's agencies in another program), so they are put back.
        kept = {}
        if change and not request.user.is_superuser:
            for field in form.instance._meta.many_to_many:
                if field.name in form.cleaned_data and field.related_model._meta.label in PROGRAM_PATHS:
                    visible = in_program(field.related_model._default_manager.all(), request.user)
                    related = getattr(form.instance, field.name).exclude(pk__in=visible.values("pk"))
                    kept[field.name] = list(related.values_list("pk", flat=True))
        super().save_related(request, form, formsets, change)
        for name, pks in kept.items():
            getattr(form.instance, name).add(*pks)


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0


@admin.register(Program)
class ProgramAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "timezone", "is_demo"]
    search_fields = ["name"]

    def has_add_permission(self, request) -> bool:
        # A new program is the installation's to host: its superusers add them.
        return request.user.is_superuser


@admin.register(Agency)
class AgencyAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "program", "kind", "timezone", "booking_minutes", "booking_cost", "is_demo"]
    list_filter = ["program", "kind", "is_demo"]
    search_fields = ["name"]
    inlines = [UnitInline]
    fieldsets = [
        (None, {"fields": ["name", "program", "kind", "timezone", "is_demo"]}),
        (
            _("Booking cost model"),
            {
                "fields": ["booking_minutes", "booking_cost", "default_deflection_minutes"],
                "description": _("Used for time saved versus arrest and cost avoided."),
            },
        ),
    ]


@admin.register(Unit)
class UnitAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(ProgramScopedAdminMixin, BaseUserAdmin):
    """A program administrator manages their program's people: those of its agencies, of the
    partners serving it, and its administrators and coordinators; never a superuser, and
    nobody is made one here but by a superuser."""

    list_display = ["username", "first_name", "last_name", "role", "program", "agency", "unit", "partner", "is_active"]
    list_filter = ["role", "program", "agency", "is_staff", "is_superuser", "is_active"]
    actions = ["lift_sign_in_pause"]

    def get_queryset(self, request):
        # People only: integration clients' service accounts are made, listed and revoked
        # on the Integrations pages, and must never be given a password or another role.
        return super().get_queryset(request).exclude(role=User.Role.INTEGRATION)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(value, label) for value, label in User.Role.choices if value != User.Role.INTEGRATION]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def scoped(self, request, rows):
        rows = super().scoped(request, rows)
        return rows if request.user.is_superuser else rows.filter(is_superuser=False)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # A new officer counts, and shows on their sergeant's roster, before their first deflection.
        officer_sync(user=obj)

    def delete_model(self, request, obj) -> None:
        officers_retire(users=[obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        officers_retire(users=queryset)
        super().delete_queryset(request, queryset)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return [*super().get_readonly_fields(request, obj), "is_superuser", "user_permissions", "groups"]

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
        (_("Program"), {"fields": ["role", "program", "agency", "unit", "badge_number", "partner", "language"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Program"), {"fields": ["role", "program", "agency", "unit", "badge_number", "partner", "language"]}),
    ]


class RecordAdminMixin:
    """A record kept as it was written: readable in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
