# A migration of its own: on PostgreSQL the table cannot be altered in the transaction that
# just updated its rows (their foreign-key checks are still pending).
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("deflection", "0007_program"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agency",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agencies",
                to="deflection.program",
                verbose_name="program",
            ),
        ),
    ]
