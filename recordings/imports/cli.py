"""What both import commands do around a run: a progress bar with counts and bytes on stderr, the
summary on stdout (JSON, or a line and the failures), and a clear word when interrupted."""

import json

from django.core.management.base import CommandError
from tqdm import tqdm

from recordings.imports import services
from recordings.imports.models import ImportJob


def run_and_report(command, *, job: ImportJob, works, as_json: bool, **run_options) -> None:
    """Run an import with a progress bar, then write its summary to the command's stdout."""
    with tqdm(desc="Importing", unit=" recordings", disable=None, file=command.stderr) as bar:

        def progress(job):
            bar.n = job.seen
            bar.set_postfix(
                imported=job.imported,
                skipped=job.skipped_existing,
                failed=job.failed,
                MB=round(job.bytes / 1e6, 1),
            )

        try:
            services.import_run(job=job, works=works, progress=progress, **run_options)
        except KeyboardInterrupt:
            raise CommandError(
                "Interrupted: run the same command again to continue where it stopped."
            ) from None
    result = {**services.summary(job), "dry_run": run_options.get("dry_run", False)}
    if as_json:
        command.stdout.write(json.dumps(result))
        return
    command.stdout.write(
        f"Imported {result['imported']}, already here {result['skipped_existing']}, "
        f"failed {len(result['failed'])} ({job.bytes / 1e6:.1f} MB)"
    )
    for failure in result["failed"]:
        command.stdout.write(f"  {failure['sid']}: {failure['reason']}")
