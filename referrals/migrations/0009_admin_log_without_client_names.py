"""The admin's history named clients (a client's str() was their name): it now says "Client #id"."""

from django.db import migrations
from django.db.models import F, Value
from django.db.models.functions import Concat


def forget_names(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("admin", "LogEntry")
    content_type = ContentType.objects.filter(app_label="referrals", model="client").first()
    if content_type is None:
        return
    LogEntry.objects.filter(content_type=content_type).update(object_repr=Concat(Value("Client #"), F("object_id")))


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0008_client_identity_removed_at"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forget_names, migrations.RunPython.noop)]
