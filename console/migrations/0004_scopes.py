from django.db import migrations, models


class Migration(migrations.Migration):
    """Give API keys a scope. Keys that exist today could do everything, so they become ``main``
    (the column's default while it is added) and nothing that works stops; new keys default to
    ``standard``."""

    dependencies = [
        ("console", "0003_invitations"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="scope",
            field=models.CharField(
                choices=[
                    ("main", "Main"),
                    ("standard", "Standard"),
                    ("read", "Read"),
                    ("ingest", "Ingest"),
                ],
                default="main",
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="apikey",
            name="scope",
            field=models.CharField(
                choices=[
                    ("main", "Main"),
                    ("standard", "Standard"),
                    ("read", "Read"),
                    ("ingest", "Ingest"),
                ],
                default="standard",
                max_length=16,
            ),
        ),
    ]
