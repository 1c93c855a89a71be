"""A partial index for the rows the watchdog or /metrics look for among millions, built without
blocking writes on PostgreSQL (console/migration_operations.py)."""

from django.db import migrations, models

from console.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("console", "0006_audit_detail"),
        ("video", "0004_name_prefix_indexes"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="recording",
            index=models.Index(
                condition=models.Q(("status", "processing")), fields=["room"], name="rec_processing"
            ),
        ),
    ]
