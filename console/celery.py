"""The one Celery app, configured from Django settings under the CELERY_ namespace."""

import logging.config
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging
from django.conf import settings

from console.datadir import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("roomvault")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _logging_from_settings(**_) -> None:
    logging.config.dictConfig(settings.LOGGING)
    # Python's warnings (Celery's own at start) become log lines too, not bare text.
    logging.captureWarnings(True)


def _beat_schedule() -> dict:
    return {
        "end-idle-rooms": {"task": "recordings.tasks.end_idle_rooms", "schedule": 60.0},
        "purge-expired-recordings": {
            "task": "recordings.tasks.purge_expired_recordings",
            "schedule": crontab(hour=3, minute=17),
        },
        # Jobs whose task was lost (a killed worker, a filesystem broker) go on from their
        # progress.
        # Before the purge: a policy's deletions start their retention at once.
        "run-retention-policies": {
            "task": "recordings.tasks.run_retention_policies",
            "schedule": crontab(hour=2, minute=7),
        },
        "expire-trash": {"task": "recordings.tasks.expire_trash", "schedule": crontab(minute=23)},
        "restart-stalled-jobs": {
            "task": "recordings.tasks.restart_stalled_jobs",
            "schedule": float(settings.JOB_WATCHDOG_SECONDS),
        },
        "give-up-missing-media": {
            "task": "recordings.tasks.give_up_missing_media",
            "schedule": 600.0,
        },
        "sweep-deleted-media": {
            "task": "recordings.tasks.sweep_deleted_media",
            "schedule": float(settings.MEDIA_SWEEP_SECONDS),
        },
        "check-media-drift": {
            "task": "recordings.tasks.check_media_drift",
            "schedule": crontab(hour=4, minute=41),
        },
    }


def _on_configured(**_) -> None:
    # Workers, beat and every celery command (some never set Django up) prepare DATA_DIR, once
    # they read the settings (the broker folders, the key); importing this module creates nothing.
    prepare()
    # Here, not at import: the intervals are settings, and importing this module reads none.
    app.conf.beat_schedule = _beat_schedule()
    if settings.LOG_FORMAT == "json":
        # Celery's own log format gives way to LOGGING's: one JSON object a line, as the web's.
        _logging_from_settings()
        setup_logging.connect(_logging_from_settings, weak=False)


app.on_after_configure.connect(_on_configured, weak=False)
app.autodiscover_tasks()
