"""A partner's cancelling is now a deflection like its other closings (referrals.models.
IS_DEFLECTION): every agency's rollups are recounted. Without its RollupState an agency's next
refresh (within the minute, by the worker) rebuilds them from the referrals."""

from django.db import migrations


def recount(apps, schema_editor):
    apps.get_model("reports", "RollupState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0010_published_month"),
    ]

    operations = [
        migrations.RunPython(recount, migrations.RunPython.noop),
    ]
