# Labels of the choices as people write them ("H.264", "Opus"): the console shows them; the API
# and the database keep the values.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0002_bulk_selections"),
    ]

    operations = [
        migrations.AlterField(
            model_name="call",
            name="status",
            field=models.CharField(
                choices=[("in-progress", "In progress"), ("completed", "Completed")],
                default="in-progress",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="conference",
            name="status",
            field=models.CharField(
                choices=[("in-progress", "In progress"), ("completed", "Completed")],
                default="in-progress",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="voicerecording",
            name="capture",
            field=models.CharField(
                choices=[
                    ("in-progress", "In progress"),
                    ("paused", "Paused"),
                    ("stopped", "Stopped"),
                ],
                default="in-progress",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="voicerecording",
            name="source",
            field=models.CharField(
                choices=[
                    ("DialVerb", "Dial verb"),
                    ("Conference", "Conference"),
                    ("OutboundAPI", "Outbound API"),
                    ("Trunking", "Trunking"),
                    ("RecordVerb", "Record verb"),
                    ("StartCallRecordingAPI", "Start Call Recording API"),
                    ("StartConferenceRecordingAPI", "Start Conference Recording API"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="voicerecording",
            name="trim",
            field=models.CharField(
                choices=[("trim-silence", "Trim silence"), ("do-not-trim", "Do not trim")],
                default="do-not-trim",
                max_length=16,
            ),
        ),
    ]
