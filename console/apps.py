from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Roomvault console"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from console.sessions import mark_signed_in

        user_logged_in.connect(mark_signed_in, dispatch_uid="console.sessions.mark_signed_in")
