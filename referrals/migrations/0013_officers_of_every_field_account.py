"""Every officer's and supervisor's account gets its officer row now, not at its first
deflection, and the rows of accounts that no longer serve stop counting as active officers
(what referrals.services.officer_sync keeps so from now on)."""

from django.db import migrations

FIELD_ROLES = ("officer", "supervisor")


def forwards(apps, schema_editor):
    User = apps.get_model("deflection", "User")
    Officer = apps.get_model("referrals", "Officer")
    # Rows whose account was deleted: they give their badge back and stop counting.
    for orphan in Officer.objects.filter(user__isnull=True, referrals__isnull=False).distinct().iterator():
        Officer.objects.filter(pk=orphan.pk).update(is_active=False, badge_number=f"o{orphan.pk}")
    serving = User.objects.filter(is_active=True, role__in=FIELD_ROLES, agency__isnull=False)
    for user in serving.filter(officer__isnull=False).iterator():
        # Moved to another unit since their last deflection: on the roster where they serve
        # now. (One moved to another agency is moved, badge checked, by their next deflection.)
        Officer.objects.filter(user_id=user.pk, agency_id=user.agency_id).update(unit_id=user.unit_id, is_active=True)
    for user in serving.filter(officer__isnull=True).iterator():
        badge = user.badge_number or f"u{user.pk}"
        taken = Officer.objects.filter(agency_id=user.agency_id, badge_number=badge).first()
        if taken is not None and taken.user_id is None:
            # Added by hand before the officer had an account: theirs.
            taken.user_id, taken.unit_id, taken.is_active = user.pk, user.unit_id, True
            taken.save(update_fields=["user", "unit", "is_active"])
            continue
        name = " ".join(part for part in (user.first_name, user.last_name) if part) or user.username
        Officer.objects.create(
            user_id=user.pk,
            agency_id=user.agency_id,
            unit_id=user.unit_id,
            badge_number=f"u{user.pk}" if taken is not None else badge,
            display_name=name[:150],
        )
    Officer.objects.filter(is_active=True, user__isnull=False).exclude(user__in=serving).update(is_active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0012_officer_totals_from_the_index"),
        ("deflection", "0011_access_event_user_index"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
