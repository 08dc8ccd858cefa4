from django.db import migrations, models
import django.db.models.deletion

import deflection.models

# Before programs, one installation was one program: every agency, and every program
# administrator, goes into it. Its name can be changed in the admin.
DEFAULT_PROGRAM = "Deflection program"


def into_one_program(apps, schema_editor):
    Agency = apps.get_model("deflection", "Agency")
    Program = apps.get_model("deflection", "Program")
    User = apps.get_model("deflection", "User")
    if not Agency.objects.exists() and not User.objects.filter(role="program_admin").exists():
        return
    first = Agency.objects.order_by("pk").first()
    program, _created = Program.objects.get_or_create(
        name=DEFAULT_PROGRAM,
        defaults={"timezone": first.timezone if first else "America/Phoenix", "is_demo": bool(first and first.is_demo)},
    )
    Agency.objects.filter(program__isnull=True).update(program=program)
    User.objects.filter(role="program_admin", program__isnull=True).update(program=program)


class Migration(migrations.Migration):

    dependencies = [
        ("deflection", "0006_access_event_notice_sent_by_the_program"),
    ]

    operations = [
        migrations.CreateModel(
            name="Program",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="name")),
                (
                    "timezone",
                    models.CharField(
                        default="America/Phoenix",
                        max_length=64,
                        validators=[deflection.models.validate_timezone],
                        verbose_name="time zone",
                    ),
                ),
                ("is_demo", models.BooleanField(default=False, verbose_name="demo data")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "program",
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="agency",
            name="program",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agencies",
                to="deflection.program",
                verbose_name="program",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="program",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "For program administrators, and for command staff who coordinate a whole program "
                    "(a regional coordinator has a program and no agency)."
                ),
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="deflection.program",
                verbose_name="program",
            ),
        ),
        migrations.RunPython(into_one_program, migrations.RunPython.noop),
    ]
