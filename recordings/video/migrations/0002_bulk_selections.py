from django.db import migrations

from recordings.lifecycle.filters import bulk_selections_fill
from recordings.video.forms import RecordingFilterForm


def fill(apps, schema_editor):
    bulk_selections_fill(
        apps,
        product="video",
        form_class=RecordingFilterForm,
        whole_names={
            "room_name_prefix": "room_name",
            "participant_identity_prefix": "participant_identity",
        },
    )


# Bulk deletions of video recordings made before they kept their typed selection get it from their
# query, parsed by today's Logs form (the lifecycle app must not import this one); names were
# matched whole then.
class Migration(migrations.Migration):
    dependencies = [
        ("video", "0001_initial"),
        ("lifecycle", "0003_bulk_selection"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
