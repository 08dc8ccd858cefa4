"""The relationship notes become the relationship log's contacts (kind "other"), dated the
day they were written in the program's time zone; the tier they recorded is the partner's
tier history's business from now on."""

from django.db import migrations
from django.utils import timezone


def notes_to_contacts(apps, schema_editor):
    RelationshipNote = apps.get_model("partners", "RelationshipNote")
    PartnerContact = apps.get_model("partners", "PartnerContact")
    PartnerContact.objects.bulk_create(
        PartnerContact(
            partner_id=note.partner_id,
            contact_on=timezone.localdate(note.created_at),
            kind="other",
            recorded_by_id=note.author_id,
            what=note.note,
        )
        for note in RelationshipNote.objects.order_by("pk").iterator()
    )


def contacts_to_notes(apps, schema_editor):
    RelationshipNote = apps.get_model("partners", "RelationshipNote")
    PartnerContact = apps.get_model("partners", "PartnerContact")
    RelationshipNote.objects.bulk_create(
        RelationshipNote(partner_id=c.partner_id, author_id=c.recorded_by_id, note=c.what)
        for c in PartnerContact.objects.order_by("pk").iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_partner_contacts_and_tier_history"),
    ]

    operations = [
        migrations.RunPython(notes_to_contacts, contacts_to_notes),
    ]
