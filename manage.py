#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from console.datadir import prepare

    try:
        prepare()
    except ImproperlyConfigured as exc:
        # A setting that cannot work is said in one line at the shell, not a traceback.
        sys.exit(f"ImproperlyConfigured: {exc}")
    execute_from_command_line(sys.argv)
