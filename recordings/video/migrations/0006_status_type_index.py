"""The index of the Status + MediaType list filter, built without blocking writes on PostgreSQL
(console/migration_operations.py).

Measured at 1M rows seeded as a live vault (the newest 2% of the span still processing): the
filter walked ``rec_account_type`` past 9,588 processing recordings for one page of completed
audio (23 ms with the pages cached, 109 ms cold); through this index it reads the page alone
(0.08 ms). At 10M it would walk ten times as far."""

from django.db import migrations, models

from console.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("video", "0005_watchdog_indexes")]

    operations = [
        AddIndexWithoutLocking(
            model_name="recording",
            index=models.Index(
                fields=["account", "status", "type", "-date_created", "-sid"],
                name="rec_account_status_type",
            ),
        ),
    ]
