from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    """The app every table was first created under: it keeps those migrations, which build the
    tables on a new database, and hands each model to its domain app (0012). It holds no code."""

    name = "recordings"
    verbose_name = "Recordings (migration history)"
