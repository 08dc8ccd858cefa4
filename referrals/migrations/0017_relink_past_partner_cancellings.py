"""A referral its partner cancelled is now a deflection (referrals.models.IS_DEFLECTION), so the
client's next referral links to it as the one before (a re-engagement once it had closed).
Links made before skipped it: relink the clients who have one, as a merge relinks
(referrals.services.clients._relink_reengagements)."""

from django.db import migrations


def relink(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    clients = (
        Referral.objects.filter(status="cancelled", cancelled_by_officer=False)
        .values_list("client_id", flat=True)
        .distinct()
    )
    for client_id in clients.iterator():
        previous = None
        for referral in Referral.objects.filter(client_id=client_id).order_by("occurred_at", "id"):
            if referral.reengagement_of_id != (previous.pk if previous else None):
                referral.reengagement_of = previous
                referral.save(update_fields=["reengagement_of"])
            if not referral.cancelled_by_officer:
                previous = referral


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0016_officer_index_holds_who_cancelled"),
    ]

    operations = [
        migrations.RunPython(relink, migrations.RunPython.noop),
    ]
