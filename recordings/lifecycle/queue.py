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
