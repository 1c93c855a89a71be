# Labels of the choices as people write them ("H.264", "Opus"): the console shows them; the API
# and the database keep the values.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("video", "0002_bulk_selections"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recording",
            name="codec",
            field=models.CharField(
                choices=[("VP8", "VP8"), ("H264", "H.264"), ("OPUS", "Opus"), ("PCMU", "PCMU")],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="recording",
            name="container_format",
            field=models.CharField(choices=[("mka", "MKA"), ("mkv", "MKV")], max_length=3),
        ),
        migrations.AlterField(
            model_name="room",
            name="status",
            field=models.CharField(
                choices=[
                    ("in-progress", "In progress"),
                    ("completed", "Completed"),
                    ("failed", "Failed"),
                ],
                default="in-progress",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="room",
            name="type",
            field=models.CharField(
                choices=[
                    ("go", "Go"),
                    ("peer-to-peer", "Peer-to-peer"),
                    ("group", "Group"),
                    ("group-small", "Group small"),
                ],
                default="group",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="track",
            name="codec",
            field=models.CharField(
                choices=[("VP8", "VP8"), ("H264", "H.264"), ("OPUS", "Opus"), ("PCMU", "PCMU")],
                max_length=8,
            ),
        ),
    ]
