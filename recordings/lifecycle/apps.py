from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "recordings.lifecycle"
    label = "lifecycle"
    verbose_name = "Recording lifecycle"

    def ready(self):
        # Registers the app's tasks, which services queue by name (lifecycle.queue).
        import recordings.lifecycle.tasks  # noqa: F401
