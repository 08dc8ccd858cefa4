"""The milestones from the partners' records (the first client still engaged at 90 days, a
wait-and-see partner's first intake) were detected from any client's record; they now count only
a client whose consent lets the agency know that outcome. Those recorded so far are removed, and
the next detection (every few minutes) finds them again under the consent rule."""

from django.db import migrations

KINDS = ("first_retained_90", "partner_first_intake")


def forwards(apps, schema_editor):
    apps.get_model("reports", "Milestone").objects.filter(kind__in=KINDS).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_programdigest_mail_claimed_at")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
