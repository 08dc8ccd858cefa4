"""A partner's cancelling is now a deflection like its other closings (referrals.models.
IS_DEFLECTION): every agency's rollups are recounted, after the re-engagement links are
(referrals/0017). Without its RollupState an agency's next refresh (within the minute, by the
worker) rebuilds them from the referrals.

Months published to the region before (PublishedMonth) keep what they counted then: a month
is published once, and a recount would show coordinators the difference."""

from django.db import migrations


def recount(apps, schema_editor):
    apps.get_model("reports", "RollupState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0010_published_month"),
        ("referrals", "0017_relink_past_partner_cancellings"),
    ]

    operations = [
        migrations.RunPython(recount, migrations.RunPython.noop),
    ]
