"""The program's life around its referrals, for the demo: quick wins and stories, partners'
relationships, the buy-in loop (feedback, suggestions, pulse surveys, training, recognition)
and last week's briefings. A mixin of DemoBuilder, whose rows (agency, units, logins, officers,
partners) it reads; each part imports its app's demo builder locally, since casework must not
import the apps that read it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from deflection.models import User
from referrals.demo.data import STORIES
from referrals.models import IS_DEFLECTION, CaseEvent, Referral
from referrals.services import officer_for_user

Status = Referral.Status


class ProgramLife:
    """The demo builder's second half: everything the program does besides its referrals."""

    def _quick_wins(self) -> None:
        """The milestones the history reached, on the days it reached them, and news for the
        week the digest reports: a patrol officer new to the program makes a first deflection,
        and two clients' thank-you notes are shared. Without these the quick wins page said
        none had happened yet, and the demo's digest had no milestone or story to show."""
        # The periodic task and the digest detect milestones in a running app; history
        # written at once must be caught up here. Reports read casework, so the import is
        # local to the seeding, not the other way round.
        from reports.digest import reported_week
        from reports.milestones import milestones_detect

        week_start, _due = reported_week(self.agency, self.now)
        start = datetime.combine(week_start, datetime.min.time(), tzinfo=self.tz)
        end = start + timedelta(days=7)
        self._newcomer(start, end)
        self._stories(start, end)
        milestones_detect(agency_id=self.agency.pk)
        self._recognition(start)

    def _recognition(self, week_start: datetime) -> None:
        """Commendations over the months and in the digest's week (buyin sits above casework,
        so the import is local to the seeding)."""
        from buyin.demo.recognition import recognition_build

        patrol = [
            officer.user
            for officer, _start, _keen in self.roster
            if officer.user and officer.user.role == User.Role.OFFICER
        ]
        recognition_build(
            agency=self.agency,
            officer=self.logins["officer"],
            supervisor=self.logins["supervisor"],
            command=self.logins["command"],
            others=patrol,
            week_start=week_start,
            now=self.now,
            rnd=self.rnd,
        )

    def _buyin(self) -> dict[str, int]:
        """Training sessions and champions (the buy-in loop reads casework: a local import)."""
        from buyin.demo.training import build_training

        # Dice of its own, as the feedback's: the shared ones have been thrown as often as the
        # histories up to now needed, so who attended would change with the hour of seeding.
        return build_training(
            rnd=random.Random(f"{self.seed}-training"),
            today=self.now.astimezone(self.tz).date(),
            agency=self.agency,
            admin=self.logins["admin"],
            units=self.units,
            roster=self.roster,
            always=[self.officer, self.supervisor],
        )

    def _pulse_surveys(self) -> None:
        """Two closed pulse survey waves with results by unit, and an open one for the officer."""
        # The buy-in loop reads casework, so the import is local to the seeding.
        from buyin.demo.pulse import build_pulse_demo

        build_pulse_demo(
            agency=self.agency,
            admin=self.logins["admin"],
            officer=self.logins["officer"],
            rnd=self.rnd,
            today=self.now.astimezone(self.tz).date(),
        )

    def _newcomer(self, start: datetime, end: datetime) -> None:
        """The last deflection of the reported week becomes a new patrol officer's first."""
        referral = (
            Referral.objects.filter(agency=self.agency, created_at__gte=start, created_at__lt=end)
            .filter(IS_DEFLECTION)
            .exclude(officer__in=[self.officer, self.supervisor])
            # Not one its officer already checked in on: the check-in would stay theirs (a
            # week-old deflection can have one, depending on the day the demo is made).
            .exclude(check_ins__isnull=False)
            .select_related("officer")
            .order_by("created_at", "id")
            .last()
        )
        if referral is None:
            return
        first, last = self._person()
        user = self._user(
            username=self._username(first, last),
            first_name=first,
            last_name=last,
            role=User.Role.OFFICER,
            agency=self.agency,
            unit=referral.officer.unit,
            # Above the roster's badges (1200 to 4999): a recruit's number is the newest.
            badge_number=f"PV-{self.rnd.randrange(5000, 6000)}",
        )
        newcomer = officer_for_user(user=user)
        Referral.objects.filter(pk=referral.pk).update(officer=newcomer, created_by=user)
        CaseEvent.objects.filter(referral=referral, kind=CaseEvent.Kind.CREATED).update(actor=user)

    def _stories(self, start: datetime, end: datetime) -> None:
        """Thank-you notes recorded in the reported week, for referrals in treatment since before
        it, each approved by the program administrator a day later (the digest shows a story
        only once approved, in the week of its approval)."""
        from reports.models import SuccessStory
        from reports.services import success_story_create, success_story_review

        referrals = list(
            Referral.objects.filter(
                agency=self.agency,
                status__in=[Status.IN_PROGRESS, Status.COMPLETED],
                intake_at__lt=start - timedelta(days=14),
                accepted_by__isnull=False,
            )
            .select_related("accepted_by")
            .order_by("-intake_at", "id")[: 4 * len(STORIES)]
        )
        for (source, text), referral in zip(
            STORIES, self.rnd.sample(referrals, min(len(STORIES), len(referrals))), strict=False
        ):
            story = success_story_create(
                referral=referral, actor=referral.accepted_by, source=source, text=text, consent_to_share=True
            )
            success_story_review(story_id=story.pk, actor=self.logins["admin"], approve=True)
            when = start + timedelta(days=self.rnd.uniform(0.5, 5.5))
            SuccessStory.objects.filter(pk=story.pk).update(
                created_at=when, consent_recorded_at=when, reviewed_at=when + timedelta(days=1)
            )

    def _partner_relations(self) -> None:
        """Six months of contacts with every partner and the tier changes, kept by the admin."""
        from partners.demo import partner_relations_build

        partner_relations_build(partners=self.partners, admin=self.logins["admin"], now=self.now)

    def _feedback(self) -> None:
        """Officers' feedback after their deflections and the seconds each took to log. The
        buy-in loop reads referrals, so the import is local to the seeding."""
        from buyin.demo.feedback import feedback_demo

        feedback_demo(agency=self.agency, rnd=random.Random(f"{self.seed}-feedback"), now=self.now)

    def _briefings(self) -> None:
        """Last week's roll-call briefing of every unit, emailed to its supervisors as on a
        Monday (reports reads casework, so the import is local to the seeding)."""
        from reports.briefing import briefing_send
        from reports.digest import reported_week

        week_start, _due = reported_week(self.agency, self.now)
        for unit in self.units.values():
            briefing_send(unit_id=unit.pk, week_start=week_start)

    def _suggestions(self) -> None:
        """Suggestions in every state, some answered with the change made (buyin reads casework,
        so the import is local to the seeding)."""
        from buyin.demo.suggestions import build_suggestions

        patrol = [officer.user for officer, _start, _keen in self.roster if officer.user_id]
        self.suggestions = build_suggestions(
            admin=self.logins["admin"],
            logins=self.logins,
            patrol=[user for user in patrol if user.username not in self.logins],
            partners=self.partners,
            rnd=self.rnd,
            now=self.now,
        )
