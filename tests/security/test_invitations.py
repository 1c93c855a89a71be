"""Finding 2, account pre-hijack: nobody but the person sets or learns their password.

An owner of account A used to "add" someone of account B with a password of A's choosing; once B
added that person too, A's password signed in to B. People now join by invitation (a single-use,
expiring link sent by email) and set their own password, or accept with the login they have.
The member pages and password reset answer alike whether or not an email has a login.

Everything goes through real HTTP with Django's test client; mail is read from the outbox.
"""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console import services as console_services
from console.models import AuditEvent, Invitation, Membership
from console.roles import Role

pytestmark = pytest.mark.django_db

VICTIM = "victim@b.example"
ATTACKERS_PASSWORD = "chosen-by-account-a-42"
OWN_PASSWORD = "the victims own passphrase"
LINK = re.compile(r"https?://[^/\s]+(/invitations/([A-Za-z0-9_-]{20,})/)")


class MailServer(EmailBackend):
    """A backend that delivers mail elsewhere (as SMTP would), yet keeps it in the test outbox."""


@pytest.fixture
def mail_server(settings):
    """Configure a real mail server: the inviter never sees the link."""
    settings.EMAIL_BACKEND = f"{__name__}.MailServer"


def owner_of(account, email: str) -> Client:
    """Return a client signed in as a new owner of ``account``."""
    client = Client()
    client.force_login(
        console_services.member_set(
            account=account, email=email, password=None, role=Role.OWNER
        ).user
    )
    return client


def signed_in_as(client: Client) -> str | None:
    """Return the username the client's session is signed in as, or None."""
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id).username if user_id else None


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def invite(client: Client, email: str, role: str = "viewer", **extra):
    return client.post(reverse("team:member-add"), {"email": email, "role": role, **extra})


def mailed_link(to: str) -> tuple[str, str]:
    """Return the path and token of the last invitation link mailed to ``to``."""
    sent = [m for m in mail.outbox if m.to == [to]]
    assert sent, f"no mail to {to}"
    found = LINK.search(sent[-1].body)
    assert found, sent[-1].body
    return found.group(1), found.group(2)


def accept_with_password(client: Client, path: str, password: str = OWN_PASSWORD):
    return client.post(path, {"new_password1": password, "new_password2": password})


# PRE-HIJACK -------------------------------------------------------------------------------------


def test_account_a_cannot_set_a_password_that_signs_in_to_account_b(
    account, other_account, mail_server
):
    a_owner = owner_of(account, "owner@a.example")
    b_owner = owner_of(other_account, "owner@b.example")

    # A's owner "adds" B's person with a password of A's choosing (posting the old field).
    added = invite(a_owner, VICTIM, "viewer", password=ATTACKERS_PASSWORD)
    # Later B adds the same person.
    invite(b_owner, VICTIM, "admin")

    attacker = Client()
    sign_in(attacker, VICTIM, ATTACKERS_PASSWORD)
    assert signed_in_as(attacker) is None
    assert attacker.get(reverse("home")).status_code == 302
    # The form has no password field, and A's owner saw no link (it went by mail to the person).
    assert 'type="password"' not in a_owner.get(reverse("team:member-add")).content.decode()
    assert LINK.search(a_owner.get(added["Location"]).content.decode()) is None

    victim = Client()
    path, _ = mailed_link(VICTIM)  # B's invitation, the last one mailed
    accepted = accept_with_password(victim, path)
    assert accepted.status_code == 302
    assert signed_in_as(victim) == VICTIM
    roles = dict(Membership.objects.filter(user__username=VICTIM).values_list("account_id", "role"))
    assert roles == {other_account.sid: "admin"}
    assert signed_in_as(sign_in_client(VICTIM, ATTACKERS_PASSWORD)) is None
    assert signed_in_as(sign_in_client(VICTIM, OWN_PASSWORD)) == VICTIM


def sign_in_client(email: str, password: str) -> Client:
    client = Client()
    sign_in(client, email, password)
    return client


def test_a_person_with_a_login_keeps_their_password_and_must_sign_in_to_accept(
    account, other_account, mail_server
):
    console_services.member_set(
        account=other_account, email=VICTIM, password=OWN_PASSWORD, role=Role.OWNER
    )
    invite(owner_of(account, "owner@a.example"), VICTIM, "member")
    path, _ = mailed_link(VICTIM)

    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "Sign in" in page.content.decode()
    # Whoever holds the link cannot set a password for an existing login.
    refused = accept_with_password(anonymous, path, ATTACKERS_PASSWORD)
    assert refused.status_code == 403
    assert signed_in_as(anonymous) is None
    assert signed_in_as(sign_in_client(VICTIM, ATTACKERS_PASSWORD)) is None
    assert not Membership.objects.filter(account=account, user__username=VICTIM).exists()

    victim = Client()
    signed = victim.post(
        reverse("login") + f"?next={path}", {"username": VICTIM, "password": OWN_PASSWORD}
    )
    assert signed.status_code == 302 and signed.url == path
    accepted = victim.post(path)

    assert accepted.status_code == 302
    roles = dict(Membership.objects.filter(user__username=VICTIM).values_list("account_id", "role"))
    assert roles == {account.sid: "member", other_account.sid: "owner"}
    assert signed_in_as(sign_in_client(VICTIM, OWN_PASSWORD)) == VICTIM


def test_signed_in_as_someone_else_the_link_is_refused(account, other_account, mail_server):
    invite(owner_of(account, "owner@a.example"), VICTIM, "admin")
    path, _ = mailed_link(VICTIM)
    intruder = owner_of(other_account, "intruder@b.example")
    before = list(Membership.objects.values_list("user__username", "account_id", "role"))

    for response in (intruder.get(path), intruder.post(path), accept_with_password(intruder, path)):
        assert response.status_code == 403
        assert f"This invitation is for {VICTIM}" in response.content.decode()

    assert list(Membership.objects.values_list("user__username", "account_id", "role")) == before
    assert not get_user_model().objects.filter(username=VICTIM).exists()
    assert Invitation.objects.get(email=VICTIM).date_accepted is None


# NO EMAIL-EXISTENCE ORACLE ----------------------------------------------------------------------


def normalised(text: str, email: str) -> str:
    text = text.replace(email, "EMAIL")
    text = re.sub(r"\d{4}-\d\d-\d\d[ T][\d:.+]+", "TIME", text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r"/invitations/[A-Za-z0-9_-]+/", "/invitations/TOKEN/", text)


@pytest.mark.parametrize("mail_configured", [True, False])
def test_the_member_page_answers_the_same_whether_or_not_the_email_has_a_login(
    account, other_account, settings, mail_configured
):
    if mail_configured:
        settings.EMAIL_BACKEND = f"{__name__}.MailServer"
    console_services.member_set(
        account=other_account, email="known@b.example", password=OWN_PASSWORD, role=Role.OWNER
    )
    client = owner_of(account, "owner@a.example")

    # An attacker's form posts a password too: it used to be refused only for existing logins.
    known = invite(client, "known@b.example", "viewer", password=ATTACKERS_PASSWORD)
    unknown = invite(client, "nobody@b.example", "viewer", password=ATTACKERS_PASSWORD)

    assert known.status_code == unknown.status_code
    assert known.get("Location") == unknown.get("Location")
    assert normalised(known.content.decode(), "known@b.example") == normalised(
        unknown.content.decode(), "nobody@b.example"
    )
    listing = client.get(reverse("team:invitations")).content.decode()
    assert "known@b.example" in listing and "nobody@b.example" in listing
    assert "login" not in listing.lower()
    if not mail_configured:
        # The inviter was shown the links; they were not printed to the server's console either.
        assert mail.outbox == []
        return
    bodies = {to: m.body for m in mail.outbox for to in m.to}
    assert normalised(bodies["known@b.example"], "known@b.example") == normalised(
        bodies["nobody@b.example"], "nobody@b.example"
    )


def test_password_reset_answers_the_same_whether_or_not_the_email_has_a_login(
    account, client, mail_server
):
    console_services.member_set(
        account=account, email="known@b.example", password=ATTACKERS_PASSWORD, role=Role.VIEWER
    )
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200

    known = client.post(reverse("password_reset"), {"email": "known@b.example"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@b.example"})

    assert (known.status_code, known.get("Location")) == (
        unknown.status_code,
        unknown.get("Location"),
    )
    assert known.status_code == 302
    assert [m.to for m in mail.outbox] == [["known@b.example"]]
    done = client.get(known["Location"]).content.decode()
    assert "If" in done  # the page says an email is sent *if* the address has a login
    # The owner of the mailbox resets the password through the mailed link.
    reset = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(reset, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else reset
    done = client.post(set_url, {"new_password1": OWN_PASSWORD, "new_password2": OWN_PASSWORD})
    assert done.status_code == 302
    assert signed_in_as(sign_in_client("known@b.example", OWN_PASSWORD)) == "known@b.example"
    assert signed_in_as(sign_in_client("known@b.example", ATTACKERS_PASSWORD)) is None


# THE LINK: SINGLE USE, EXPIRY, REVOCATION, SHOWN ONCE -------------------------------------------


def test_an_invitation_link_works_once(account, mail_server):
    invite(owner_of(account, "owner@a.example"), VICTIM, "member")
    path, token = mailed_link(VICTIM)
    invitation = Invitation.objects.get(email=VICTIM)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(Invitation.objects.values_list()))

    first = Client()
    assert accept_with_password(first, path).status_code == 302
    assert signed_in_as(first) == VICTIM

    second = Client()
    for response in (second.get(path), accept_with_password(second, path, ATTACKERS_PASSWORD)):
        assert response.status_code == 410
        assert "already been used" in response.content.decode()
    assert signed_in_as(second) is None
    assert signed_in_as(sign_in_client(VICTIM, ATTACKERS_PASSWORD)) is None
    assert AuditEvent.objects.filter(account=account, action="invitation.accept").count() == 1


def test_an_expired_invitation_link_is_refused_clearly(account, mail_server, settings):
    invite(owner_of(account, "owner@a.example"), VICTIM, "member")
    path, _ = mailed_link(VICTIM)

    later = timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS, minutes=1)
    with time_machine.travel(later):
        client = Client()
        for response in (client.get(path), accept_with_password(client, path)):
            assert response.status_code == 410
            assert "expired" in response.content.decode()

    assert not get_user_model().objects.filter(username=VICTIM).exists()


def test_an_unknown_link_is_not_found_without_an_error(client):
    for path in ("/invitations/" + "x" * 43 + "/", "/invitations/%00%ff/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "not valid" in response.content.decode()


def test_a_revoked_invitation_link_is_refused(account, mail_server):
    owner = owner_of(account, "owner@a.example")
    invite(owner, VICTIM, "admin")
    path, _ = mailed_link(VICTIM)
    pk = Invitation.objects.get(email=VICTIM).pk

    revoked = owner.post(reverse("team:invitation-revoke", args=[pk]), {"confirm": "True"})

    assert revoked.status_code == 302
    response = accept_with_password(Client(), path)
    assert response.status_code == 410
    assert "revoked" in response.content.decode()
    assert not get_user_model().objects.filter(username=VICTIM).exists()
    actions = list(
        AuditEvent.objects.filter(account=account, action__startswith="invitation.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["invitation.create", "invitation.revoke"]


def test_without_a_mail_server_the_inviter_sees_the_link_once(account, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = owner_of(account, "owner@a.example")

    shown = invite(owner, VICTIM, "member")

    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    path, token = LINK.search(shown.content.decode()).group(1, 2)
    assert token not in owner.get(reverse("team:invitations")).content.decode()
    assert token not in owner.get(reverse("team:members")).content.decode()
    assert token not in str(dict(owner.session.items()))
    assert not AuditEvent.objects.filter(object_repr__contains=token).exists()
    assert accept_with_password(Client(), path).status_code == 302


# ROLES AND ACCOUNTS -----------------------------------------------------------------------------


def test_an_admin_invites_up_to_admin_but_never_an_owner(account, mail_server):
    admin = Client()
    admin.force_login(
        console_services.member_set(
            account=account, email="admin@a.example", password=None, role=Role.ADMIN
        ).user
    )
    form = admin.get(reverse("team:member-add"))
    assert form.status_code == 200
    assert 'value="owner"' not in form.content.decode()

    refused = invite(admin, "boss@b.example", "owner")

    assert refused.status_code == 200
    assert not Invitation.objects.filter(email="boss@b.example").exists()
    assert mail.outbox == []
    assert invite(admin, "helper@b.example", "admin").status_code == 302
    assert Invitation.objects.get(email="helper@b.example").role == "admin"


def test_another_accounts_invitation_grants_nothing_else(account, other_account, mail_server):
    console_services.member_set(
        account=other_account, email=VICTIM, password=OWN_PASSWORD, role=Role.VIEWER
    )
    b_owner = owner_of(other_account, "owner@b.example")
    invite(b_owner, "someone@c.example", "admin")
    theirs = Invitation.objects.get(email="someone@c.example")
    invite(owner_of(account, "owner@a.example"), VICTIM, "viewer")
    path, _ = mailed_link(VICTIM)

    victim = sign_in_client(VICTIM, OWN_PASSWORD)
    assert victim.post(path).status_code == 302

    # It made the victim a viewer of A, nothing more: B's role is unchanged, and A's invitation
    # pages (and B's invitations through them) stay closed to a viewer.
    roles = dict(Membership.objects.filter(user__username=VICTIM).values_list("account_id", "role"))
    assert roles == {account.sid: "viewer", other_account.sid: "viewer"}
    assert victim.get(reverse("team:invitations")).status_code == 403
    # An owner of A cannot reach B's invitations either: they do not exist for A.
    a_owner = owner_of(account, "second-owner@a.example")
    revoke = reverse("team:invitation-revoke", args=[theirs.pk])
    assert a_owner.get(revoke).status_code == 404
    assert a_owner.post(revoke, {"confirm": "True"}).status_code == 404
    assert "someone@c.example" not in a_owner.get(reverse("team:invitations")).content.decode()
    theirs.refresh_from_db()
    assert theirs.date_revoked is None


def test_a_login_whose_password_was_never_set_is_claimed_only_through_its_mailbox(
    account, other_account, client, settings
):
    # B added the person before invitations existed: a login without a password, member of B.
    console_services.member_set(account=other_account, email=VICTIM, password=None, role=Role.ADMIN)
    # A's owner invites them with no mail server configured, so A's owner holds the link.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    path = LINK.search(
        invite(owner_of(account, "owner@a.example"), VICTIM, "viewer").content.decode()
    ).group(1)

    attacker = Client()
    refused = accept_with_password(attacker, path, ATTACKERS_PASSWORD)
    assert refused.status_code == 403
    assert signed_in_as(sign_in_client(VICTIM, ATTACKERS_PASSWORD)) is None

    # The person sets a password through the reset link mailed to them.
    client.post(reverse("password_reset"), {"email": VICTIM})
    reset = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", mail.outbox[-1].body).group(1)
    form = client.get(reset, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": OWN_PASSWORD, "new_password2": OWN_PASSWORD}
    )
    assert signed_in_as(sign_in_client(VICTIM, OWN_PASSWORD)) == VICTIM
