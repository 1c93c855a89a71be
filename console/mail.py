"""Mail the console sends: invitations (password resets are Django's own view)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from console.models import Invitation

logger = logging.getLogger(__name__)

# Backends that keep mail on this server (printed, in memory, in files, dropped): with them an
# invitation link would never reach the person, so the inviter is shown it once instead.
LOCAL_BACKENDS = frozenset(
    f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "locmem", "filebased", "dummy")
)


def mail_leaves_server() -> bool:
    """Tell whether mail goes out to a mail server (EMAIL_URL is configured)."""
    return settings.EMAIL_BACKEND not in LOCAL_BACKENDS


def invitation_mail_send(*, invitation: Invitation, link: str) -> bool:
    """Mail the invitation link to the invitee; tell whether the mail server took it.

    The text is the same whether or not the address already has a login: the link's own page
    tells the person what to do.
    """
    context = {"invitation": invitation, "account": invitation.account, "link": link}
    try:
        send_mail(
            # One line whatever the account's name holds: a header cannot carry a newline.
            subject=" ".join(
                render_to_string("console/team/invitation_subject.txt", context).split()
            ),
            message=render_to_string("console/team/invitation_email.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except OSError as failed:  # smtplib's errors are OSErrors; the link is never logged
        logger.warning(
            "Invitation %s could not be mailed: %s", invitation.pk, type(failed).__name__
        )
        return False
    return True
