# Labels of the choices as people write them ("H.264", "Opus"): the console shows them; the API
# and the database keep the values.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compositions", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="composition",
            name="format",
            field=models.CharField(
                choices=[("mp4", "MP4"), ("webm", "WebM")], default="webm", max_length=4
            ),
        ),
        migrations.AlterField(
            model_name="compositionhook",
            name="format",
            field=models.CharField(
                choices=[("mp4", "MP4"), ("webm", "WebM")], default="webm", max_length=4
            ),
        ),
    ]
