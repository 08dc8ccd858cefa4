from django.db import migrations, models
from django.db.models import Exists, OuterRef


def from_the_events(apps, schema_editor):
    """Referrals cancelled before: by their officer where the cancelling event's actor was the
    referring officer's user."""
    Referral = apps.get_model("referrals", "Referral")
    CaseEvent = apps.get_model("referrals", "CaseEvent")
    by_officer = CaseEvent.objects.filter(
        referral=OuterRef("pk"), kind="status_changed", to_status="cancelled", actor_id=OuterRef("officer__user_id")
    )
    Referral.objects.filter(Exists(by_officer), status="cancelled").update(cancelled_by_officer=True)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0014_officer_partners_from_the_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="cancelled_by_officer",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(from_the_events, migrations.RunPython.noop),
    ]
