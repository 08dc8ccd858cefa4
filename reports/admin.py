from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from deflection.admin import AuditedAdminMixin, ProgramScopedAdminMixin, RecordAdminMixin
from reports.models import Briefing, Digest, ExportRecord, Milestone, ProgramDigest, SuccessStory
from reports.services import success_story_review


@admin.register(Milestone)
class MilestoneAdmin(ProgramScopedAdminMixin, admin.ModelAdmin):
    list_display = ["achieved_at", "agency", "kind", "scope", "officer", "unit", "partner"]
    list_filter = ["kind", "agency"]
    readonly_fields = [
        "agency",
        "kind",
        "scope",
        "achieved_at",
        "referral",
        "officer",
        "unit",
        "partner",
        "detected_at",
    ]

    def has_add_permission(self, request) -> bool:
        # Detected from the casework, never typed in.
        return False


class StoryReviewFilter(admin.SimpleListFilter):
    """The program administrator's queue: shareable stories awaiting review first."""

    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Awaiting review")),
            ("approved", _("Approved for the digest")),
            ("declined", _("Declined")),
            ("not_shared", _("Not for sharing")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "not_shared":
            return queryset.filter(consent_to_share=False)
        if self.value() in SuccessStory.Review.values:
            return queryset.filter(consent_to_share=True, review_state=self.value())
        return queryset


@admin.register(SuccessStory)
class SuccessStoryAdmin(ProgramScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Where the program administrator reads each shareable story and approves or declines
    it for the digest. Stories are written from the referral's page (their checks live in
    the service); here nothing is typed in, so that nothing skips them."""

    def audit_subject(self, obj: SuccessStory) -> tuple[int, int | None]:
        return obj.referral.client_id, obj.referral_id

    # The number first: a refusal names the story by it.
    list_display = [
        "id",
        "created_at",
        "agency",
        "source",
        "excerpt",
        "consent_to_share",
        "entered_in_error",
        "review_state",
        "reviewed_by",
    ]
    list_filter = [StoryReviewFilter, "agency", "source"]
    list_select_related = ["referral", "agency", "reviewed_by"]
    actions = ["approve", "decline"]
    fields = [
        "text",
        "source",
        "referral",
        "agency",
        "consent_to_share",
        "consent_recorded_at",
        "recorded_by",
        "created_at",
        "review_state",
        "reviewed_by",
        "reviewed_at",
        "entered_in_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("referral entered in error"), boolean=True)
    def entered_in_error(self, obj: SuccessStory) -> bool:
        # Its officer cancelled it so: nothing happened to share, and approving is refused.
        return obj.referral.entered_in_error

    @admin.display(description=_("story"))
    def excerpt(self, obj: SuccessStory) -> str:
        # The list shows the text (it may name the client): the mixin records the list as viewed.
        return Truncator(obj.text).chars(120)

    def has_add_permission(self, request) -> bool:
        return False

    def _review(self, request, queryset, *, approve: bool) -> None:
        done, refused = 0, []
        for story in queryset:
            try:
                success_story_review(story_id=story.pk, actor=request.user, approve=approve)
            except ValidationError as error:
                # The reason names the kind of identifier found, never the text itself.
                refused.append(f"#{story.pk}: {' '.join(error.messages)}")
            else:
                done += 1
        if done:
            message = (
                ngettext("%(n)d story approved for the digest.", "%(n)d stories approved for the digest.", done)
                if approve
                else ngettext("%(n)d story declined.", "%(n)d stories declined.", done)
            )
            self.message_user(request, message % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Approve the selected stories for the digest"))
    def approve(self, request, queryset) -> None:
        self._review(request, queryset, approve=True)

    @admin.action(description=_("Decline the selected stories"))
    def decline(self, request, queryset) -> None:
        self._review(request, queryset, approve=False)


class SentMailAdmin(admin.ModelAdmin):
    """What was sent, as it was sent: read only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(ProgramScopedAdminMixin, SentMailAdmin):
    list_display = ["week_start", "agency", "sent_at", "subject"]
    list_filter = ["agency"]
    readonly_fields = ["agency", "week_start", "recipients", "subject", "text", "html", "sent_at", "created_at"]


@admin.register(ProgramDigest)
class ProgramDigestAdmin(ProgramScopedAdminMixin, SentMailAdmin):
    list_display = ["month_start", "week_start", "program", "sent_at", "subject"]
    list_filter = ["program"]
    readonly_fields = [
        *("program", "month_start", "week_start", "recipients"),
        *("subject", "text", "html", "sent_at", "created_at"),
    ]


@admin.register(Briefing)
class BriefingAdmin(ProgramScopedAdminMixin, SentMailAdmin):
    list_display = ["week_start", "unit", "sent_at", "subject"]
    list_filter = ["unit__agency"]
    readonly_fields = ["unit", "week_start", "recipients", "subject", "text", "html", "sent_at", "created_at"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ProgramScopedAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "agency", "user", "file_format", "rows", "remote_addr"]
    list_filter = ["agency", "file_format"]
    readonly_fields = ["created_at", "agency", "user", "filters", "file_format", "rows", "remote_addr"]
