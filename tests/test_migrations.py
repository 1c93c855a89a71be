"""The models that left the "recordings" app for video, voice, imports and lifecycle keep their
tables, rows, content types and permissions: a database made before the move, with data in it, is
migrated forwards (and back) and read through the current models.

Unmarked on purpose: it runs with ``make test`` (SQLite) and in the PostgreSQL run alike.
"""

import datetime
import io

import pytest
from django.apps import apps as current
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Where each model went (the app label of its content type after the move).
MOVED = {
    "video": [
        "room",
        "participant",
        "track",
        "recording",
        "recordingrules",
        "recordingsettings",
        "publickey",
    ],
    "voice": ["conference", "call", "voicerecording", "transcription"],
    "imports": ["importjob", "importitem"],
    "lifecycle": ["callbackdelivery", "callbackattempt", "bulkdeletion"],
}
# The last state before the move: the new apps' state-only migrations (and 0012) unapplied.
BEFORE = [("recordings", "0011_imports"), *((app, None) for app in MOVED)]
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
ACCOUNT = "AC" + "a" * 32


def migrate(targets):
    """Migrate the test database to ``targets``; return the executor (its graph for the state)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def state_before(executor):
    """Return the historical apps of the database as it was at ``BEFORE``."""
    graph = executor.loader.graph
    nodes = [("recordings", "0011_imports")]
    nodes += [node for node in graph.leaf_nodes() if node[0] in ("auth", "contenttypes", "console")]
    return executor.loader.project_state(nodes).apps


@pytest.fixture
def before_the_move(transactional_db):
    """Put the test database back before the move, and on to the latest again afterwards."""
    executor = migrate(BEFORE)
    try:
        yield state_before(executor)
    finally:
        migrate_to_latest()


def fill(old) -> dict:
    """Write a row of every moved model, and the content types ``post_migrate`` made for them.

    Returns what the test needs to find again: the content types by model name and a permission.
    """
    model = lambda label: old.get_model("recordings", label)  # noqa: E731
    dates = {"date_created": WHEN, "date_updated": WHEN}
    user = old.get_model("auth", "User").objects.create(username="owner@example.com")
    account = old.get_model("console", "Account").objects.create(
        sid=ACCOUNT, friendly_name="before", auth_token_sealed="sealed", auth_token_digest="d" * 64
    )
    room = model("Room").objects.create(
        sid="RM" + "1" * 32, account=account, unique_name="standup", status="completed", **dates
    )
    participant = model("Participant").objects.create(
        sid="PA" + "1" * 32, account=account, room=room, identity="alice", **dates
    )
    track = model("Track").objects.create(
        sid="MT" + "1" * 32,
        account=account,
        room=room,
        participant=participant,
        name="mic",
        kind="audio",
        codec="OPUS",
        **dates,
    )
    model("Recording").objects.create(
        sid="RT" + "1" * 32,
        account=account,
        room=room,
        participant=participant,
        track=track,
        status="completed",
        type="audio",
        codec="OPUS",
        container_format="mka",
        track_name="mic",
        size=4096,
        duration=7,
        media_key=f"{ACCOUNT}/RT{'1' * 32}.mka",
        date_stopped=WHEN,
        **dates,
    )
    model("RecordingRules").objects.create(
        room=room, rules=[{"type": "include", "all": True}], **dates
    )
    model("RecordingSettings").objects.create(account=account, friendly_name="ours")
    model("PublicKey").objects.create(
        sid="CR" + "1" * 32, account=account, friendly_name="key", public_key="-----BEGIN…"
    )
    conference = model("Conference").objects.create(
        sid="CF" + "1" * 32, account=account, friendly_name="weekly", **dates
    )
    call = model("Call").objects.create(
        sid="CA" + "1" * 32,
        account=account,
        conference=conference,
        from_number="+15550100",
        to_number="+15550101",
        **dates,
    )
    voice_recording = model("VoiceRecording").objects.create(
        sid="RE" + "1" * 32,
        account=account,
        call=call,
        conference=conference,
        source="DialVerb",
        status="completed",
        start_time=WHEN,
        duration=12,
        media_key=f"{ACCOUNT}/RE{'1' * 32}.wav",
        **dates,
    )
    model("Transcription").objects.create(
        sid="TR" + "1" * 32,
        account=account,
        recording=voice_recording,
        transcription_text="hello",
        **dates,
    )
    job = model("ImportJob").objects.create(
        account=account, kind="twilio", source="https://video.twilio.com", created_by=user
    )
    model("ImportItem").objects.create(job=job, sid="RT" + "2" * 32, result="imported", bytes=9)
    delivery = model("CallbackDelivery").objects.create(
        account=account,
        room=room,
        recording_sid="RT" + "1" * 32,
        event="recording-completed",
        url="https://example.com/hook",
        method="POST",
        params={"RoomSid": room.sid},
    )
    model("CallbackAttempt").objects.create(
        delivery=delivery, number=1, status_code=200, duration_ms=12
    )
    model("BulkDeletion").objects.create(
        account=account,
        created_by=user,
        product="video",
        actor="owner@example.com",
        sids=["RT" + "1" * 32],
        chunk_size=500,
        **dates,
    )

    # Start from the content types post_migrate made before the move, whatever the test database
    # holds (made by today's migrations, it has them under the new apps, or back under
    # "recordings" once the move was reversed).
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label__in=["recordings", *MOVED]).delete()
    names = [name for models in MOVED.values() for name in models]
    moved = {name: content_types.create(app_label="recordings", model=name) for name in names}
    permission = old.get_model("auth", "Permission").objects.create(
        content_type=moved["recording"], codename="delete_recording", name="Can delete recording"
    )
    return {"content_types": moved, "permission": permission}


def rows(get_model) -> dict:
    """Every row of every moved model, by model name, as stored (foreign keys as ids)."""
    return {
        name: list(get_model(app, name).objects.order_by("pk").values())
        for app, names in MOVED.items()
        for name in names
    }


def schema() -> dict:
    """The recordings_* tables as the database has them: columns and index/constraint names."""
    introspection = connection.introspection
    with connection.cursor() as cursor:
        tables = [t for t in introspection.table_names(cursor) if t.startswith("recordings_")]
        return {
            table: (
                sorted(
                    (c.name, c.type_code, c.null_ok)
                    for c in introspection.get_table_description(cursor, table)
                ),
                sorted(introspection.get_constraints(cursor, table)),
            )
            for table in tables
        }


def test_moved_models_keep_their_rows_tables_and_content_types_both_ways(before_the_move):
    old = before_the_move
    written = fill(old)
    stored = rows(lambda app, name: old.get_model("recordings", name))
    tables = schema()

    migrate_to_latest()
    assert_moved_forwards(written, stored, tables)

    # Reversible: back before the move, the content types (same rows) say "recordings" again.
    old = state_before(migrate(BEFORE))
    assert rows(lambda app, name: old.get_model("recordings", name)) == stored
    content_types = old.get_model("contenttypes", "ContentType").objects
    assert sorted(content_types.filter(app_label="recordings").values_list("pk", flat=True)) == (
        sorted(content_type.pk for content_type in written["content_types"].values())
    )
    assert not content_types.filter(app_label__in=MOVED).exists()
    permission = old.get_model("auth", "Permission").objects.get(pk=written["permission"].pk)
    assert permission.content_type_id == written["content_types"]["recording"].pk


# Columns later migrations widened on purpose: (table, column) → the type they have now.
WIDENED = {
    # lifecycle 0004: "composition" is a bulk deletion's product too.
    ("recordings_bulkdeletion", "product"): "varchar(16)",
}


def widened(table: str, column: tuple) -> tuple:
    """Return a column of the schema before the move as a later migration widened it (SQLite
    names the length in its type; PostgreSQL's type code is the same for any length)."""
    name, type_code, null_ok = column
    if isinstance(type_code, str):
        type_code = WIDENED.get((table, name), type_code)
    return (name, type_code, null_ok)


def assert_moved_forwards(written: dict, stored: dict, tables: dict) -> None:
    """Check through the current models that rows, relations, schema and content types held."""
    # Migrations after the move may add columns and indexes (lifecycle 0003 adds the bulk
    # selection): what existed keeps its values, names and types.
    now = rows(current.get_model)
    assert {
        name: [{column: row[column] for column in old[0]} for row in now[name]] if old else []
        for name, old in stored.items()
    } == stored
    after = schema()
    for table, (columns, constraints) in tables.items():
        assert {widened(table, c) for c in columns} <= set(after[table][0]), table
        assert set(constraints) <= set(after[table][1]), table
    # Relations resolve through the current models, across apps.
    recording = current.get_model("video", "Recording").objects.get(sid="RT" + "1" * 32)
    assert recording.track.participant.room.account_id == ACCOUNT
    assert recording.room.recording_rules.rules == [{"type": "include", "all": True}]
    transcription = current.get_model("voice", "Transcription").objects.get()
    assert transcription.recording.call.conference.friendly_name == "weekly"
    attempt = current.get_model("lifecycle", "CallbackAttempt").objects.get()
    assert attempt.delivery.room == recording.room
    assert current.get_model("imports", "ImportItem").objects.get().job.created_by.username == (
        "owner@example.com"
    )
    # The content type rows moved (same ids), so the permission still names the same one.
    ContentType.objects.clear_cache()
    for app, names in MOVED.items():
        for name in names:
            model = current.get_model(app, name)
            assert ContentType.objects.get_for_model(model).pk == written["content_types"][name].pk
            # The state claims these columns and names exist; later migrations rely on it.
            columns, constraints = after[model._meta.db_table]
            assert {f.column for f in model._meta.concrete_fields} == {c[0] for c in columns}
            declared = [*model._meta.indexes, *model._meta.constraints]
            assert {index.name for index in declared} <= set(constraints)
    assert not ContentType.objects.filter(app_label="recordings").exists()
    permission = current.get_model("auth", "Permission").objects.get(pk=written["permission"].pk)
    assert (permission.content_type.app_label, permission.content_type.model) == (
        "video",
        "recording",
    )


def test_models_and_migrations_agree(db):
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
