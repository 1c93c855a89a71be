"""Starting a console import against a test source, as the import page does."""

from console.services import SYSTEM
from recordings.imports import services as import_services
from recordings.imports.models import ImportJob
from tests.factories import AccountFactory


def start(source, base_url: str) -> ImportJob:
    """Start an import of everything ``source`` holds (voice and deleted too) into a new account,
    reading it at ``base_url`` (the source itself or a proxy in front of it)."""
    job = import_services.import_job_start(
        account=AccountFactory(friendly_name="target"),
        actor=SYSTEM,
        source_account_sid=source.account_sid,
        auth_token=source.auth_token,
        api_base_url=base_url,
        options={"voice": True, "include_deleted": True},
    )
    job.refresh_from_db()
    return job
