"""The webhook log: what an attempt sent and got back, replays linked to their original, and the
indexes of the log's list and the dashboard's callback health, built without blocking writes on
PostgreSQL (console/migration_operations.py). The new columns are nullable or have a constant
default, which PostgreSQL adds without rewriting the table."""

from django.db import migrations, models

from console.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("lifecycle", "0006_failed_callbacks_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="callbackattempt",
            name="response_body",
            field=models.CharField(blank=True, max_length=1024),
        ),
        migrations.AddField(
            model_name="callbackattempt",
            name="signature",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="callbackdelivery",
            name="replay_of_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        AddIndexWithoutLocking(
            model_name="callbackdelivery",
            index=models.Index(
                fields=["account", "-date_created", "-id"], name="delivery_account_date"
            ),
        ),
        AddIndexWithoutLocking(
            model_name="callbackdelivery",
            index=models.Index(fields=["account", "date_updated"], name="delivery_account_updated"),
        ),
        AddIndexWithoutLocking(
            model_name="callbackdelivery",
            index=models.Index(
                condition=models.Q(("replay_of_id__isnull", False)),
                fields=["replay_of_id"],
                name="delivery_replay_of",
            ),
        ),
    ]
