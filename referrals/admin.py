from __future__ import annotations

import csv

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection import audit
from deflection.admin import AuditedAdminMixin, ProgramScopedAdminMixin, ProgramScopedChoicesMixin, RecordAdminMixin
from deflection.models import AccessEvent
from deflection.permissions import in_program, may_review_access
from referrals.disclosures import accounting_for_client
from referrals.models import (
    CaseEvent,
    ChargeNotice,
    Client,
    ClientMerge,
    Consent,
    FollowUp,
    HeldCharge,
    JusticeAgency,
    Officer,
    OfficerContact,
    Referral,
)
from referrals.services import client_merge


@admin.register(Officer)
class OfficerAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "badge_number", "agency", "unit", "is_active"]
    list_filter = ["agency", "unit", "is_active"]
    search_fields = ["display_name", "badge_number"]
    list_select_related = ["agency", "unit"]
    raw_id_fields = ["user"]


@admin.register(AccessEvent)
class AccessEventAdmin(ProgramScopedAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    """Read only, for the program administrator: filter by user, client id and date. Here,
    not in the core, because whose a record is is its client's: the program of the client's
    agency (or of the client a merged row went into)."""

    list_display = ["at", "user", "role", "action", "what", "client_id", "referral_id", "address"]
    list_filter = ["action", "role", ("user", admin.RelatedOnlyFieldListFilter), "agency", "partner", "at"]
    search_fields = ["=client_id", "=referral_id", "user__username", "user__last_name", "what"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    show_full_result_count = False
    readonly_fields = [f.name for f in AccessEvent._meta.fields]

    def scoped(self, request, rows):
        if request.user.is_superuser:
            return rows
        clients = in_program(Client.objects.all(), request.user).values("pk")
        merged = in_program(ClientMerge.objects.all(), request.user).values("merged_client_id")
        return rows.filter(Q(client_id__in=clients) | Q(client_id__in=merged))

    def has_module_permission(self, request) -> bool:
        return may_review_access(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_review_access(request.user)

    def get_actions(self, request):
        return {}  # no bulk delete


@admin.register(Client)
class ClientAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "agency", "preferred_language", "created_at"]
    list_filter = ["agency", "preferred_language"]
    search_fields = ["first_name", "last_name", "aliases"]
    readonly_fields = ["search_name", "created_by", "created_at"]
    list_select_related = ["agency"]

    def audit_subject(self, obj: Client) -> tuple[int, int | None]:
        return obj.pk, None

    def has_delete_permission(self, request, obj=None) -> bool:
        # Duplicates are merged (Client merges), identities purged after the retention
        # period (purge_expired): a client row is never simply deleted.
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.disclosures_view)
        return [
            path("<int:client_id>/disclosures/", view, name="referrals_client_disclosures"),
            *super().get_urls(),
        ]

    def disclosures_view(self, request, client_id: int):
        """The client's accounting of disclosures (42 CFR §2.25), on screen or as CSV."""
        if not may_review_access(request.user):
            raise PermissionDenied
        client = self.get_object(request, str(client_id))
        if client is None:
            raise Http404
        rows = accounting_for_client(client)
        audit.record(
            request,
            action=audit.Action.PRINTED if request.GET.get("format") == "csv" else audit.Action.VIEWED,
            what="admin: accounting of disclosures",
            subjects=[(client.pk, None)],
        )
        if request.GET.get("format") == "csv":
            return _disclosures_csv(client, rows)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": client,
            "title": _("Accounting of disclosures"),
            "rows": rows,
            "generated_at": timezone.now(),
        }
        return TemplateResponse(request, "admin/referrals/client/disclosures.html", context)


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting with =, +, - or @ gets a quote."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _disclosures_csv(client: Client, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # The file name carries the record number, never the client's name.
    response["Content-Disposition"] = f'attachment; filename="disclosures-client-{client.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _cell(
                _("Accounting of disclosures for %(name)s, generated %(when)s; times are %(zone)s")
                % {
                    "name": client.full_name,
                    "when": f"{timezone.localtime():%Y-%m-%d %H:%M %Z}",
                    "zone": f"{timezone.localtime():%Z}",
                }
            )
        ]
    )
    writer.writerow(
        [_("When"), _("Recipient"), _("Role"), _("Organization"), _("What"), _("Referral"), _("Record of"), _("Basis")]
    )
    for row in rows:
        writer.writerow(
            _cell(value)
            for value in [
                timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M"),
                row.recipient,
                row.role,
                row.organization,
                f"{row.action}: {row.what}",
                row.referral_id,
                row.partner,
                row.basis,
            ]
        )
    return response


class FollowUpInline(ProgramScopedChoicesMixin, admin.TabularInline):
    model = FollowUp
    extra = 0
    fields = ["kind", "due_at", "assigned_to", "reminded_at", "completed_at", "outcome"]
    # A check's outcome is the partner's record, recorded on the casework page (and counted
    # by when it was: reports.metrics.engaged_at), never rewritten here.
    readonly_fields = ["completed_at", "outcome"]
    raw_id_fields = ["assigned_to"]


class _WrittenByServicesInline(admin.TabularInline):
    """Rows only the services write (the history, the officers' contacts): shown, never
    added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(_WrittenByServicesInline):
    model = CaseEvent
    fields = ["created_at", "kind", "from_status", "to_status", "reason", "actor"]
    readonly_fields = fields


class OfficerContactInline(_WrittenByServicesInline):
    model = OfficerContact
    fields = ["occurred_at", "created_at", "officer", "pathway", "officer_minutes", "naloxone_administered"]
    readonly_fields = fields


@admin.register(Referral)
class ReferralAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    audit_lists = False  # the list shows no client; a referral's page does

    def audit_subject(self, obj: Referral) -> tuple[int, int | None]:
        return obj.client_id, obj.pk

    list_display = ["id", "occurred_at", "agency", "officer", "partner", "pathway", "status"]
    list_filter = ["status", "pathway", "agency", "partner", "naloxone_administered", "warm_handoff"]
    date_hierarchy = "occurred_at"
    # Not by client name: the list would tell which partner a named person was referred to,
    # and the name would travel in the URL. Find the client first, then their referrals.
    search_fields = ["=id", "=client__id", "officer__badge_number"]
    list_select_related = ["agency", "officer", "partner"]
    raw_id_fields = ["client", "officer", "created_by"]
    # Status changes go through the services, which write the case history and keep what the
    # figures count (Referral.counted_*): acceptance, intake and closing with them.
    readonly_fields = [
        *("status", "status_reason", "cancelled_by_officer", "status_changed_at"),
        *("accepted_by", "accepted_at", "intake_at", "closed_at"),
        *("created_at", "created_by"),
    ]
    inlines = [FollowUpInline, OfficerContactInline, CaseEventInline]


@admin.register(FollowUp)
class FollowUpAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    audit_lists = False  # notes show on a follow-up's own page

    def audit_subject(self, obj: FollowUp) -> tuple[int, int | None]:
        return obj.referral.client_id, obj.referral_id

    list_display = ["referral", "kind", "due_at", "assigned_to", "reminded_at", "completed_at", "outcome"]
    list_filter = ["kind", "outcome"]
    readonly_fields = FollowUpInline.readonly_fields
    raw_id_fields = ["referral", "assigned_to"]
    date_hierarchy = "due_at"


@admin.register(CaseEvent)
class CaseEventAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    audit_lists = False  # notes show on an event's own page

    def audit_subject(self, obj: CaseEvent) -> tuple[int, int | None]:
        return obj.referral.client_id, obj.referral_id

    list_display = ["created_at", "referral", "kind", "from_status", "to_status", "actor"]
    list_filter = ["kind", "to_status"]
    raw_id_fields = ["referral", "actor"]


class ClientMergeForm(forms.ModelForm):
    merged = forms.ModelChoiceField(
        queryset=Client.objects.all(),
        label=_("Duplicate to merge away"),
        help_text=_("Its referrals and consents move to the survivor; its name is kept as an alias."),
        widget=admin.widgets.ForeignKeyRawIdWidget(ClientMerge._meta.get_field("survivor").remote_field, admin.site),
    )

    class Meta:
        model = ClientMerge
        fields = ["survivor"]
        widgets = {
            "survivor": admin.widgets.ForeignKeyRawIdWidget(
                ClientMerge._meta.get_field("survivor").remote_field, admin.site
            )
        }

    def __init__(self, *args, actor=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        if actor is not None:
            for name in ("survivor", "merged"):
                self.fields[name].queryset = in_program(Client.objects.all(), actor)

    def clean(self) -> dict:
        data = super().clean()
        survivor, merged = data.get("survivor"), data.get("merged")
        if survivor and merged:
            try:
                with transaction.atomic():
                    self.instance = client_merge(survivor_id=survivor.pk, merged_id=merged.pk, actor=self.actor)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return data

    def save(self, commit: bool = True) -> ClientMerge:
        # The service has saved the merge record already.
        return self.instance

    def save_m2m(self) -> None:
        return None


@admin.register(ClientMerge)
class ClientMergeAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Merging is done here by a program administrator; the records cannot be edited."""

    def audit_subject(self, obj: ClientMerge) -> tuple[int, int | None]:
        return obj.survivor_id, None

    def audit_subjects(self, obj: ClientMerge) -> list[tuple[int, int | None]]:
        # The page shows the merged row's snapshot too: on record under its own id as well.
        return [(obj.survivor_id, None), (obj.merged_client_id, None)]

    list_display = ["created_at", "survivor", "merged_client_id", "referrals_moved", "consents_moved", "merged_by"]
    readonly_fields = [
        "survivor",
        "merged_client_id",
        "merged_snapshot",
        "referrals_moved",
        "consents_moved",
        "merged_by",
        "created_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = ClientMergeForm

        class RequestForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=request.user, **kw)

        return RequestForm

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["survivor", "merged"]

    def save_model(self, request, obj, form, change) -> None:
        # client_merge saved everything in the form's clean().
        return None

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    def audit_subject(self, obj: Consent) -> tuple[int, int | None]:
        return obj.client_id, obj.referral_id

    list_display = [
        "id",
        "client",
        "kind",
        "discloser",
        "scope",
        "recipient_agency",
        "recipient_justice",
        "signed_on",
        "expires_on",
        "revoked_at",
    ]
    list_filter = ["kind", "scope", "discloser", "recipient_agency", "recipient_justice"]
    raw_id_fields = ["client", "referral"]
    readonly_fields = [f.name for f in Consent._meta.fields] + ["recipient_partners"]

    def has_add_permission(self, request) -> bool:
        # Consent is captured by the case manager or officer, with the client, in the app.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Never deleted: a revocation is recorded instead.
        return False


@admin.register(JusticeAgency)
class JusticeAgencyAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    """The prosecutors' offices and courts that decide held charges: kept here by the program
    administrator, like the partners; their contact receives the notices consent allows."""

    list_display = ["name", "kind", "contact_name", "contact_email", "is_active"]
    list_filter = ["kind", "is_active", "agencies"]
    search_fields = ["name", "contact_name"]
    filter_horizontal = ["agencies"]


@admin.register(HeldCharge)
class HeldChargeAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Recorded by the officer on the log form; its state changes only through the services
    (referrals.services.charges), which write the case history and the notices."""

    audit_lists = False  # the list shows no client

    def audit_subject(self, obj: HeldCharge) -> tuple[int, int | None]:
        return obj.referral.client_id, obj.referral_id

    list_display = ["referral", "state", "condition", "deadline", "decider", "state_changed_at"]
    list_filter = ["state", "condition", "decider"]
    date_hierarchy = "deadline"
    raw_id_fields = ["referral", "recorded_by"]
    readonly_fields = [
        "state",
        "state_changed_at",
        "decided_by",
        "state_note",
        "reminded_before_at",
        "reminded_passed_at",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChargeNotice)
class ChargeNoticeAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    """What each office or court was told, under which consent, and when it was emailed."""

    audit_lists = False  # the list shows no client

    def audit_subject(self, obj: ChargeNotice) -> tuple[int, int | None]:
        return obj.held_charge.referral.client_id, obj.held_charge.referral_id

    list_display = ["created_at", "held_charge", "recipient", "state", "decided_on", "emailed_at"]
    list_filter = ["state", "recipient"]
