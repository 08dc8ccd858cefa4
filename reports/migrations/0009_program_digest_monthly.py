from django.db import migrations, models


class Migration(migrations.Migration):
    """The program's digest goes monthly: a month of its own; the digests sent weekly before
    keep their week, with no month (a week that began on the 1st is not that month's)."""

    dependencies = [
        ("reports", "0008_treatment_milestones_by_consent"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="programdigest", name="program_digest_once_per_week"),
        migrations.AlterField(
            model_name="programdigest",
            name="week_start",
            field=models.DateField(editable=False, null=True, verbose_name="week starting"),
        ),
        migrations.AddField(
            model_name="programdigest",
            name="month_start",
            field=models.DateField(help_text="The first day of the month reported.", null=True, verbose_name="month"),
        ),
        migrations.AlterModelOptions(
            name="programdigest",
            options={"ordering": ["-created_at"], "verbose_name": "monthly program digest"},
        ),
        migrations.AddConstraint(
            model_name="programdigest",
            constraint=models.UniqueConstraint(fields=("program", "month_start"), name="program_digest_once_per_month"),
        ),
    ]
