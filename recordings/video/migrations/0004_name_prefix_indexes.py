"""Indexes for the console's name filters, which match the start of a room's unique name or a
participant's identity in any case (``__istartswith``).

Django writes that filter ``UPPER(column::text) LIKE UPPER('start%')`` on PostgreSQL: an index on
the account and that very expression, with ``text_pattern_ops`` so that LIKE may walk it whatever
the database's collation, answers it as a range. They are built CONCURRENTLY (the tables keep
taking writes while a large one is indexed), hence a non-atomic migration. Other databases (SQLite
in development and tests) have no operator classes and are left as they are.
"""

from django.db import migrations

INDEXES = {
    "room_account_name_upper": ("recordings_room", "unique_name"),
    "participant_account_identity_upper": ("recordings_participant", "identity"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON {table} (account_id, UPPER({column}::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("video", "0003_choice_labels"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
