from django.db import migrations

from recordings.lifecycle.filters import bulk_selections_fill
from recordings.voice.forms import VoiceRecordingFilterForm


def fill(apps, schema_editor):
    bulk_selections_fill(apps, product="voice", form_class=VoiceRecordingFilterForm)


# Bulk deletions of voice recordings made before they kept their typed selection get it from their
# query, parsed by today's Logs form (the lifecycle app must not import this one).
class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0001_initial"),
        ("lifecycle", "0003_bulk_selection"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
