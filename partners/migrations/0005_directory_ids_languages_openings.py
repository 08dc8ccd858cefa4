"""Partners in the directory exchanged as Open Referral HSDS: each existing partner gets its
own directory id (a UUID, as HSDS ids are), then the id is required and unique; the
languages a partner speaks; its opening hours, a row per day and stretch."""

import uuid

import django.db.models.deletion
import partners.models
from django.db import migrations, models


def give_each_partner_an_id(apps, schema_editor):
    ServicePartner = apps.get_model("partners", "ServicePartner")
    for partner in ServicePartner.objects.filter(hsds_id__isnull=True).only("pk").iterator():
        ServicePartner.objects.filter(pk=partner.pk).update(hsds_id=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("partners", "0004_delete_relationshipnote"),
    ]

    operations = [
        migrations.AddField(
            model_name='servicepartner',
            name='hsds_id',
            field=models.UUIDField(editable=False, null=True, verbose_name='directory id'),
        ),
        migrations.RunPython(give_each_partner_an_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='servicepartner',
            name='hsds_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='directory id'),
        ),
        migrations.AddField(
            model_name='servicepartner',
            name='languages',
            field=models.CharField(blank=True, help_text='ISO 639 codes, comma separated: en, es.', max_length=100, validators=[partners.models.validate_language_codes], verbose_name='languages spoken'),
        ),
        migrations.CreateModel(
            name='PartnerOpening',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')], verbose_name='day')),
                ('opens_at', models.TimeField(verbose_name='opens at')),
                ('closes_at', models.TimeField(verbose_name='closes at')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='openings', to='partners.servicepartner', verbose_name='partner')),
            ],
            options={
                'verbose_name': 'opening hours',
                'verbose_name_plural': 'opening hours',
                'ordering': ['weekday', 'opens_at'],
                'constraints': [models.CheckConstraint(condition=models.Q(('weekday__lte', 6)), name='partner_opening_weekday_valid'), models.CheckConstraint(condition=models.Q(('closes_at__gt', models.F('opens_at'))), name='partner_opening_closes_after'), models.UniqueConstraint(fields=('partner', 'weekday', 'opens_at'), name='partner_opening_unique')],
            },
        ),
    ]
