from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "recordings.lifecycle"
    label = "lifecycle"
    verbose_name = "Recording lifecycle"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.lifecycle.tasks  # noqa: F401
        from console.health import register_check
        from console.metrics import register_figures
        from recordings.lifecycle import bulk, figures
        from recordings.lifecycle.watchdog import JobType, register_job
        from recordings.media.health import media_store_ready

        register_check("media", media_store_ready)
        register_figures("bulk_deletions", figures.bulk_deletion_figures)
        register_figures("failures", figures.failure_figures)
        register_figures("governance", figures.governance_figures)
        register_job(
            JobType(
                noun="bulk deletion",
                stalled=bulk.bulk_deletions_stalled,
                restart=bulk.bulk_deletion_restart,
            )
        )
