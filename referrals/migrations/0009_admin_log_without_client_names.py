"""The admin's history named clients (a client's str() was their name): it now says "Client #id"."""

from django.db import migrations


def forget_names(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("admin", "LogEntry")
    content_type = ContentType.objects.filter(app_label="referrals", model="client").first()
    if content_type is None:
        return
    for entry in LogEntry.objects.filter(content_type=content_type).only("pk", "object_id"):
        LogEntry.objects.filter(pk=entry.pk).update(object_repr=f"Client #{entry.object_id}")


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0008_client_identity_removed_at"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forget_names, migrations.RunPython.noop)]
