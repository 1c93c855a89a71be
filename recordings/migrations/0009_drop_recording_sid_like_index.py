"""Drop the ``varchar_pattern_ops`` copy of the recordings' primary key that Django adds on
PostgreSQL for every indexed varchar: nothing searches SIDs with LIKE, and each index on this
table is rewritten by every soft delete (a ninth index slowed bulk deletes for nothing).
"""

from django.db import migrations


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'recordings_recording' "
            "AND indexname LIKE 'recordings_recording_sid_%%_like'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("recordings", "0008_purge_index_keyset")]

    operations = [migrations.RunPython(drop_like_index, migrations.RunPython.noop)]
