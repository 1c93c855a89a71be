from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "recordings.devtools"
    label = "devtools"
    verbose_name = "Seeding, simulators and demo data"
