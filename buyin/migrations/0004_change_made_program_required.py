# A migration of its own: on PostgreSQL the table cannot be altered in the transaction that
# just updated its rows (their foreign-key checks are still pending).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("buyin", "0003_change_made_program"),
    ]

    operations = [
        migrations.AlterField(
            model_name="changemade",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="deflection.program",
                verbose_name="program",
            ),
        ),
    ]
