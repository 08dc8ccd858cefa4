from django.db import migrations


def forget_refreshes(apps, schema_editor):
    # The hour bins changed (reports.rollups.hours_bin): without a refresh state, the next
    # refresh rebuilds every agency's rollups with the new ones.
    apps.get_model("reports", "RollupState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_officer_weeks_and_accept_bins_per_partner"),
    ]

    operations = [
        migrations.RunPython(forget_refreshes, migrations.RunPython.noop),
    ]
