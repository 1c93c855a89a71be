"""Queue a Celery task by its name.

A service queues the task that will call it back later; importing the tasks module for that would
make every service and its tasks an import cycle. Tasks are found by name in Celery's registry, so
they still run eagerly where ``CELERY_TASK_ALWAYS_EAGER`` is set.
"""

from celery import current_app


def enqueue(task_name: str, *args: object, **options: object) -> None:
    task = current_app.tasks[task_name]
    if options:
        task.apply_async(args, **options)
    else:
        task.delay(*args)


# Media deletions per task: one query reads and one clears each batch.
MEDIA_TASK_BATCH = 1000


def enqueue_media_deletion(sids: list[str]) -> None:
    """Queue the removal of deleted recordings' media, ``MEDIA_TASK_BATCH`` recordings a task."""
    for start in range(0, len(sids), MEDIA_TASK_BATCH):
        enqueue("recordings.tasks.delete_recordings_media", sids[start : start + MEDIA_TASK_BATCH])
