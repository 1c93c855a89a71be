from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "recordings.lifecycle"
    label = "lifecycle"
    verbose_name = "Recording lifecycle"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.lifecycle.tasks  # noqa: F401
        from recordings.lifecycle import bulk
        from recordings.lifecycle.watchdog import JobType, register_job

        register_job(
            JobType(
                noun="bulk deletion",
                stalled=bulk.bulk_deletions_stalled,
                restart=bulk.bulk_deletion_restart,
            )
        )
