from django.db import migrations, models


class Migration(migrations.Migration):
    """The program's digest goes monthly: its week becomes the month it reports. Digests sent
    weekly before keep their week's Monday."""

    dependencies = [
        ("reports", "0008_treatment_milestones_by_consent"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="programdigest", name="program_digest_once_per_week"),
        migrations.RenameField(model_name="programdigest", old_name="week_start", new_name="month_start"),
        migrations.AlterField(
            model_name="programdigest",
            name="month_start",
            field=models.DateField(
                help_text="The first day of the month reported (digests sent weekly before keep their week's Monday).",
                verbose_name="month",
            ),
        ),
        migrations.AlterModelOptions(
            name="programdigest",
            options={"ordering": ["-month_start"], "verbose_name": "monthly program digest"},
        ),
        migrations.AddConstraint(
            model_name="programdigest",
            constraint=models.UniqueConstraint(fields=("program", "month_start"), name="program_digest_once_per_month"),
        ),
    ]
