"""The team pages: members and roles, API keys, recording settings, audit log.

Every page goes through the role matrix (anonymous, viewer, member, admin, owner) with the real
test client; refused POSTs are shown to change nothing; other accounts' objects answer 404.
"""

import contextlib
import hashlib
import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import factory
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from console import services as console_services
from console.models import ApiKey, AuditEvent, Invitation, Membership
from console.roles import Role
from console.services import Actor, LastOwner
from console.views import audit as audit_view
from recordings.video import services
from recordings.video.choices import MediaType
from recordings.video.models import Recording, RecordingSettings, Room
from tests.factories import (
    ApiKeyFactory,
    AuditEventFactory,
    InvitationFactory,
    MembershipFactory,
    UserFactory,
)
from tests.helpers import basic_auth

FORM = "application/x-www-form-urlencoded"
ROLES = ["viewer", "member", "admin", "owner"]
IP = "203.0.113.9"


# FIXTURES AND HELPERS ---------------------------------------------------------------------------


@pytest.fixture
def target(account):
    """A member, an API key and an invitation of ``account`` for the pages about one object."""
    membership = MembershipFactory(
        account=account, user__username="target@example.com", role=Role.MEMBER
    )
    key = ApiKeyFactory(account=account, friendly_name="target key")
    invitation = InvitationFactory(account=account, email="invited@example.com", role=Role.VIEWER)
    return {"pk": membership.pk, "sid": key.sid, "invitation": invitation.pk}


def url(name: str, target: dict) -> str:
    if name in ("member-edit", "member-remove"):
        return reverse(f"team:{name}", args=[target["pk"]])
    if name == "key-revoke":
        return reverse(f"team:{name}", args=[target["sid"]])
    if name == "invitation-revoke":
        return reverse(f"team:{name}", args=[target["invitation"]])
    return reverse(f"team:{name}")


PAGES = [
    "members",
    "member-add",
    "member-edit",
    "member-remove",
    "invitations",
    "invitation-revoke",
    "keys",
    "key-create",
    "key-revoke",
    "settings",
    "audit",
]
# Owners manage members; admins may also invite (never as owner) and revoke invitations.
MEMBER_PAGES = {"members", "member-edit", "member-remove"}
# Each form of these pages, with a POST that would change something if it were allowed.
POSTS = {
    "member-add": {"email": "new@example.com", "role": "admin"},
    "member-edit": {"role": "admin"},
    "member-remove": {"confirm": "True"},
    "invitation-revoke": {"confirm": "True"},
    "key-create": {"friendly_name": "new key", "scope": "standard"},
    "key-revoke": {"confirm": "True"},
    "settings": {"record_participants_on_connect": "on"},
}


def allowed(role: str, page: str) -> bool:
    if page in MEMBER_PAGES:
        return role == "owner"
    return role in ("admin", "owner")


def state(account) -> tuple:
    """Everything the team pages can change, to compare before and after a refused request."""
    return (
        sorted(Membership.objects.filter(account=account).values_list("user__username", "role")),
        sorted(ApiKey.objects.filter(account=account).values_list("sid", "date_revoked")),
        sorted(Invitation.objects.filter(account=account).values_list("email", "date_revoked")),
        list(RecordingSettings.objects.filter(account=account).values_list(flat=True)),
        AuditEvent.objects.filter(account=account).count(),
        get_user_model().objects.count(),
    )


def latest_event(account) -> AuditEvent:
    return AuditEvent.objects.filter(account=account).latest("date_created", "id")


def api_client(sid: str, secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(sid, secret))
    return client


# ROLE MATRIX ------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_sign_in(client, account, target, page):
    before = state(account)
    for response in (
        client.get(url(page, target)),
        client.post(url(page, target), POSTS.get(page, {})),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    assert state(account) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_each_page_answers_only_the_roles_it_is_for(console_client, account, target, role, page):
    response = console_client(role).get(url(page, target))

    assert response.status_code == (200 if allowed(role, page) else 403)


@pytest.mark.parametrize(
    ("role", "page"), [(r, p) for r in ROLES for p in sorted(POSTS) if not allowed(r, p)]
)
def test_a_refused_post_changes_nothing(console_client, account, target, role, page):
    client = console_client(role)
    before = state(account)

    response = client.post(url(page, target), POSTS[page])

    assert response.status_code == 403
    assert state(account) == before


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("viewer", [], ["members", "invitations", "keys", "settings", "audit"]),
        ("member", [], ["members", "invitations", "keys", "settings", "audit"]),
        # base.html (shared) also links Members for admins, who get 403 there: not asserted.
        ("admin", ["invitations", "keys", "settings", "audit"], []),
        ("owner", ["members", "invitations", "keys", "settings", "audit"], []),
    ],
)
def test_the_navigation_links_the_team_pages_for_the_roles_they_are_for(
    console_client, role, visible, hidden
):
    body = console_client(role).get(reverse("home")).content.decode()

    for page in visible:
        assert f'href="{reverse(f"team:{page}")}"' in body, page
    for page in hidden:
        assert f'href="{reverse(f"team:{page}")}"' not in body, page


# CSRF -------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(account):
    """An owner's client that, like a browser, must send the CSRF token."""
    owner = console_services.member_set(
        account=account, email="owner@example.com", password=None, role=Role.OWNER
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner.user)
    return client


@pytest.mark.parametrize("page", sorted(POSTS))
def test_every_form_needs_its_csrf_token(csrf_client, account, target, page):
    before = state(account)

    refused = csrf_client.post(url(page, target), POSTS[page])

    assert refused.status_code == 403
    assert state(account) == before
    main = csrf_client.get(url(page, target)).content.decode().split('<main id="main">')[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', main)
    assert token, "the form carries a CSRF token"
    accepted = csrf_client.post(
        url(page, target), {**POSTS[page], "csrfmiddlewaretoken": token.group(1)}
    )
    assert accepted.status_code in (200, 302)
    assert state(account) != before


# ACCOUNT ISOLATION ------------------------------------------------------------------------------


@pytest.fixture
def theirs(other_account):
    """Another account's member, key and invitation, to be reached through our account's pages."""
    membership = MembershipFactory(
        account=other_account, user__username="theirs@example.com", role=Role.OWNER
    )
    key = ApiKeyFactory(account=other_account, friendly_name="their key")
    invitation = InvitationFactory(
        account=other_account, email="their-guest@example.com", role=Role.ADMIN
    )
    return {"pk": membership.pk, "sid": key.sid, "invitation": invitation.pk}


@pytest.mark.parametrize(
    "page", ["member-edit", "member-remove", "key-revoke", "invitation-revoke"]
)
def test_another_accounts_member_or_key_is_not_found(
    console_client, account, other_account, theirs, page
):
    client = console_client("owner")
    # The owner belongs to the other account too, but works in this one.
    console_services.member_set(
        account=other_account, email="owner@example.com", password=None, role=Role.VIEWER
    )
    before = state(other_account)

    assert client.get(url(page, theirs)).status_code == 404
    assert client.post(url(page, theirs), POSTS.get(page, {})).status_code == 404
    assert state(other_account) == before


def test_an_unknown_key_sid_is_not_found_like_a_foreign_one(console_client):
    response = console_client("owner").get(reverse("team:key-revoke", args=["SK" + "0" * 32]))

    assert response.status_code == 404


def test_lists_show_only_the_current_accounts_rows(console_client, account, other_account, theirs):
    AuditEventFactory(account=other_account, actor="user:spy", action="secret.thing")
    client = console_client("owner")

    members = client.get(reverse("team:members")).content.decode()
    keys = client.get(reverse("team:keys")).content.decode()
    audit = client.get(reverse("team:audit")).content.decode()

    assert "owner@example.com" in members and "theirs@example.com" not in members
    assert theirs["sid"] not in keys
    assert "secret.thing" not in audit and "user:spy" not in audit


# MEMBERS ----------------------------------------------------------------------------------------


def test_the_members_list_shows_email_role_and_join_date(console_client, account, target):
    with time_machine.travel(datetime(2026, 2, 3, 9, 30, tzinfo=UTC), tick=False):
        console_services.member_set(
            account=account, email="early@example.com", password=None, role=Role.VIEWER
        )
    body = console_client("owner").get(reverse("team:members")).content.decode()

    row = re.search(r"<tr>\s*<td>early@example.com.*?</tr>", body, re.S).group(0)
    assert "Viewer" in row and "2026-02-03 09:30" in row
    assert "target@example.com" in body


class MailServer(EmailBackend):
    """A configured mail server (its mail lands in the test outbox)."""


class BrokenMailServer(EmailBackend):
    """A configured mail server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def shown_link(response) -> str:
    """Return the path of the invitation link an inviter is shown (no mail server configured)."""
    assert response.status_code == 200, response
    return re.search(
        r'id="invitation-link" value="https?://[^/]+([^"]+)"', response.content.decode()
    )[1]


def test_an_owner_invites_a_new_member_who_sets_their_own_password(console_client, account):
    client = console_client("owner")

    response = client.post(
        reverse("team:member-add"),
        {"email": "New.Person@Example.com", "role": "admin"},
        REMOTE_ADDR=IP,
    )

    link = shown_link(response)
    assert not get_user_model().objects.filter(username="new.person@example.com").exists()
    event = latest_event(account)
    assert (event.action, event.actor, event.source_ip, event.object_repr) == (
        "invitation.create",
        "user:owner@example.com",
        IP,
        "new.person@example.com: admin",
    )
    listing = client.get(reverse("team:invitations")).content.decode()
    assert re.search(r"<td>new.person@example.com</td>\s*<td>Admin</td>", listing)
    invitee = Client()
    page = invitee.get(link).content.decode()
    assert "Join " + account.friendly_name in page and "as admin" in page
    joined = invitee.post(
        link,
        {"new_password1": "a-long-passphrase-42", "new_password2": "a-long-passphrase-42"},
        REMOTE_ADDR="198.51.100.7",
        follow=True,
    )
    assert joined.redirect_chain[0] == (reverse("home"), 302)
    assert "you are admin here" in joined.content.decode()
    added = Membership.objects.select_related("user").get(
        account=account, user__username="new.person@example.com"
    )
    assert added.role == Role.ADMIN
    assert added.user.check_password("a-long-passphrase-42")
    event = latest_event(account)
    assert (event.action, event.actor, event.source_ip, event.object_repr) == (
        "invitation.accept",
        "user:new.person@example.com",
        "198.51.100.7",
        "new.person@example.com: admin",
    )
    assert "new.person@example.com" not in client.get(reverse("team:invitations")).content.decode()


def test_a_weak_password_is_refused_on_the_invitation_page(console_client, account):
    link = shown_link(
        console_client("owner").post(
            reverse("team:member-add"), {"email": "weak@example.com", "role": "viewer"}
        )
    )

    response = Client().post(link, {"new_password1": "password", "new_password2": "password"})

    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not get_user_model().objects.filter(username="weak@example.com").exists()
    assert Invitation.objects.get(email="weak@example.com").date_accepted is None


def test_inviting_a_user_of_another_account_keeps_their_password_and_other_membership(
    console_client, account, other_account
):
    theirs = console_services.member_set(
        account=other_account, email="both@example.com", password="their-own-pass-99", role="owner"
    )
    link = shown_link(
        console_client("owner").post(
            reverse("team:member-add"), {"email": "both@example.com", "role": "viewer"}
        )
    )
    invitee = Client()
    invitee.force_login(theirs.user)

    assert invitee.post(link).status_code == 302

    theirs.user.refresh_from_db()
    assert theirs.user.check_password("their-own-pass-99")
    roles = dict(Membership.objects.filter(user=theirs.user).values_list("account_id", "role"))
    assert roles == {account.sid: "viewer", other_account.sid: "owner"}


def test_a_new_invitation_replaces_the_pending_one(console_client, account):
    client = console_client("owner")
    first = shown_link(
        client.post(reverse("team:member-add"), {"email": "twice@example.com", "role": "viewer"})
    )
    second = shown_link(
        client.post(reverse("team:member-add"), {"email": "twice@example.com", "role": "member"})
    )

    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 200
    listing = client.get(reverse("team:invitations")).content.decode()
    assert listing.count("<td>twice@example.com</td>") == 1
    assert latest_event(account).object_repr == (
        "twice@example.com: member (replaces the pending invitation)"
    )


def test_the_invitation_mail_has_a_one_line_subject_whatever_the_account_name(
    console_client, account, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.MailServer"
    account.friendly_name = "Acme\r\nBcc: everyone@example.com"
    account.save(update_fields=["friendly_name"])

    response = console_client("owner").post(
        reverse("team:member-add"), {"email": "new@example.com", "role": "viewer"}
    )

    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["new@example.com"] and sent.bcc == []
    assert "\n" not in sent.subject and "Acme Bcc: everyone@example.com" in sent.subject
    assert re.search(r"https?://\S+/invitations/[\w-]+/", sent.body)


def test_an_invitation_that_cannot_be_mailed_says_so(console_client, account, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"

    response = console_client("owner").post(
        reverse("team:member-add"), {"email": "unlucky@example.com", "role": "viewer"}, follow=True
    )

    assert response.redirect_chain == [(reverse("team:invitations"), 302)]
    assert "could not be mailed" in response.content.decode()
    assert 'id="invitation-link"' not in response.content.decode()


def test_adding_someone_who_is_already_a_member_changes_nothing(console_client, account, target):
    client = console_client("owner")
    before = state(account)

    response = client.post(
        reverse("team:member-add"), {"email": "owner@example.com", "role": "viewer"}
    )

    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert state(account) == before


def test_an_owner_changes_a_members_role(console_client, account, target):
    client = console_client("owner")

    response = client.post(
        reverse("team:member-edit", args=[target["pk"]]), {"role": "admin"}, REMOTE_ADDR=IP
    )

    assert response.status_code == 302 and response.url == reverse("team:members")
    assert Membership.objects.get(pk=target["pk"]).role == Role.ADMIN
    event = latest_event(account)
    assert (event.action, event.actor, event.source_ip) == (
        "member.role_change",
        "user:owner@example.com",
        IP,
    )
    assert event.actor_user.username == "owner@example.com"
    assert event.object_repr == "target@example.com: member → admin"


def test_an_unknown_role_is_refused(console_client, account, target):
    client = console_client("owner")
    before = state(account)

    response = client.post(reverse("team:member-edit", args=[target["pk"]]), {"role": "god"})

    assert response.status_code == 200
    assert state(account) == before


def test_an_owner_removes_a_member_after_confirming(console_client, account, target):
    client = console_client("owner")

    page = client.get(reverse("team:member-remove", args=[target["pk"]]))
    assert "Remove target@example.com?" in page.content.decode()
    assert Membership.objects.filter(pk=target["pk"]).exists()
    unconfirmed = client.post(reverse("team:member-remove", args=[target["pk"]]), {})
    assert unconfirmed.status_code == 200
    assert Membership.objects.filter(pk=target["pk"]).exists()

    response = client.post(
        reverse("team:member-remove", args=[target["pk"]]), {"confirm": "True"}, REMOTE_ADDR=IP
    )

    assert response.status_code == 302 and response.url == reverse("team:members")
    assert not Membership.objects.filter(pk=target["pk"]).exists()
    assert get_user_model().objects.filter(username="target@example.com").exists()
    event = latest_event(account)
    assert (event.action, event.actor, event.source_ip, event.object_repr) == (
        "member.remove",
        "user:owner@example.com",
        IP,
        "target@example.com: member",
    )


def test_removing_a_member_of_several_accounts_leaves_the_others(
    console_client, account, other_account
):
    here = console_services.member_set(
        account=account, email="both@example.com", password=None, role=Role.ADMIN
    )
    console_services.member_set(
        account=other_account, email="both@example.com", password=None, role=Role.OWNER
    )

    console_client("owner").post(reverse("team:member-remove", args=[here.pk]), {"confirm": "True"})

    left = Membership.objects.filter(user=here.user)
    assert list(left.values_list("account_id", "role")) == [(other_account.sid, "owner")]


# LAST OWNER -------------------------------------------------------------------------------------


def test_the_last_owner_cannot_demote_themself(console_client, account):
    client = console_client("owner")
    me = Membership.objects.get(account=account, user__username="owner@example.com")
    before = state(account)

    response = client.post(reverse("team:member-edit", args=[me.pk]), {"role": "admin"})

    assert response.status_code == 409
    assert "last owner" in response.content.decode()
    assert state(account) == before


def test_the_last_owner_cannot_remove_themself(console_client, account):
    client = console_client("owner")
    me = Membership.objects.get(account=account, user__username="owner@example.com")
    before = state(account)

    response = client.post(reverse("team:member-remove", args=[me.pk]), {"confirm": "True"})

    assert response.status_code == 409
    assert "last owner" in response.content.decode()
    assert state(account) == before


def test_with_two_owners_one_may_go_then_the_other_is_the_last(console_client, account):
    client = console_client("owner")
    me = Membership.objects.get(account=account, user__username="owner@example.com")
    other = console_services.member_set(
        account=account, email="second@example.com", password=None, role=Role.OWNER
    )

    assert (
        client.post(reverse("team:member-edit", args=[other.pk]), {"role": "viewer"}).status_code
        == 302
    )
    assert (
        client.post(reverse("team:member-edit", args=[me.pk]), {"role": "admin"}).status_code == 409
    )
    console_services.member_change_role(membership=other, role=Role.OWNER)
    assert (
        client.post(reverse("team:member-remove", args=[other.pk]), {"confirm": "True"}).status_code
        == 302
    )
    assert (
        client.post(reverse("team:member-remove", args=[me.pk]), {"confirm": "True"}).status_code
        == 409
    )
    assert list(
        Membership.objects.filter(account=account, role=Role.OWNER).values_list("pk", flat=True)
    ) == [me.pk]


def test_an_owner_who_demotes_themself_is_sent_home(console_client, account):
    client = console_client("owner")
    me = Membership.objects.get(account=account, user__username="owner@example.com")
    console_services.member_set(
        account=account, email="second@example.com", password=None, role=Role.OWNER
    )

    response = client.post(reverse("team:member-edit", args=[me.pk]), {"role": "admin"})

    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("team:members")).status_code == 403
    assert client.get(reverse("team:keys")).status_code == 200


def test_an_owner_who_leaves_is_sent_home(console_client, account):
    client = console_client("owner")
    me = Membership.objects.get(account=account, user__username="owner@example.com")
    console_services.member_set(
        account=account, email="second@example.com", password=None, role=Role.OWNER
    )

    response = client.post(reverse("team:member-remove", args=[me.pk]), {"confirm": "True"})

    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("team:keys")).status_code == 403


def test_the_services_refuse_to_leave_no_owner(account):
    only = console_services.member_set(
        account=account, email="only@example.com", password=None, role=Role.OWNER
    )

    with pytest.raises(LastOwner):
        console_services.member_change_role(membership=only, role=Role.VIEWER)
    with pytest.raises(LastOwner):
        console_services.member_remove(membership=only)
    only.refresh_from_db()
    assert only.role == Role.OWNER


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_demotions_cannot_leave_zero_owners(account, monkeypatch):
    """Two owners demote each other at once. Each reads the owners, then waits for the other
    before writing: without the row locks both would see two owners and both would write. With
    them, the second waits for the first to commit (the barrier times out) and then counts one."""
    first, second = (
        console_services.member_set(account=account, email=e, password=None, role=Role.OWNER)
        for e in ("first@example.com", "second@example.com")
    )
    barrier = threading.Barrier(2, timeout=1)
    owners_locked = console_services._owners_locked

    def owners_then_wait(**kwargs):
        owners = owners_locked(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return owners

    monkeypatch.setattr(console_services, "_owners_locked", owners_then_wait)
    outcomes: list[str] = []

    def demote(membership) -> None:
        try:
            console_services.member_change_role(membership=membership, role=Role.ADMIN)
            outcomes.append("demoted")
        except LastOwner:
            outcomes.append("last owner")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["demoted", "last owner"]
    assert Membership.objects.filter(account=account, role=Role.OWNER).count() == 1


# API KEYS ---------------------------------------------------------------------------------------


def test_the_key_list_shows_sid_name_created_and_revoked(console_client, account):
    live = console_services.api_key_create(account=account, friendly_name="live one").key
    gone = console_services.api_key_create(account=account, friendly_name="gone one").key
    with time_machine.travel(datetime(2026, 4, 5, 6, 7, tzinfo=UTC), tick=False):
        console_services.api_key_revoke(key=gone)

    body = console_client("admin").get(reverse("team:keys")).content.decode()

    assert live.sid in body and "live one" in body
    assert reverse("team:key-revoke", args=[live.sid]) in body
    gone_row = re.search(rf"<tr>\s*<td><code>{gone.sid}.*?</tr>", body, re.S).group(0)
    assert "2026-04-05 06:07" in gone_row and "Revoke" not in gone_row


def test_a_new_keys_secret_is_shown_once_and_only_its_digest_is_kept(
    console_client, account, client, caplog
):
    caplog.set_level(logging.DEBUG)
    console_client("admin")
    form = client.get(reverse("team:key-create")).content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)

    response = client.post(
        reverse("team:key-create"),
        {"friendly_name": "media server", "scope": "standard", "nonce": nonce},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(account=account, friendly_name="media server")
    body = response.content.decode()
    secret = re.search(r'id="api-key-secret" value="([0-9a-f]{64})"', body).group(1)
    assert key.sid in body
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Nowhere else: not in the list, not on the form again, not in the session, cookies or logs.
    assert secret not in client.get(reverse("team:keys")).content.decode()
    assert secret not in client.get(reverse("team:key-create")).content.decode()
    assert secret not in str(dict(client.session.items()))
    assert secret not in str(client.cookies)
    assert secret not in caplog.text
    assert not AuditEvent.objects.filter(object_repr__contains=secret).exists()
    # Submitting the same form again (a reload) neither shows it again nor makes a second key.
    again = client.post(
        reverse("team:key-create"),
        {"friendly_name": "media server", "scope": "standard", "nonce": nonce},
    )
    assert again.status_code == 302 and again.url == reverse("team:keys")
    assert ApiKey.objects.filter(account=account, friendly_name="media server").count() == 1
    assert secret not in client.get(again.url).content.decode()


def test_a_created_key_authenticates_the_api_until_it_is_revoked(console_client, account):
    client = console_client("admin")
    response = client.post(
        reverse("team:key-create"), {"friendly_name": "ci", "scope": "standard"}, REMOTE_ADDR=IP
    )
    body = response.content.decode()
    sid = re.search(r"<code>(SK[0-9a-f]{32})</code>", body).group(1)
    secret = re.search(r'id="api-key-secret" value="([0-9a-f]{64})"', body).group(1)
    created = latest_event(account)
    assert (created.action, created.object_sid, created.actor, created.source_ip) == (
        "api_key.create",
        sid,
        "user:admin@example.com",
        IP,
    )
    api = api_client(sid, secret)
    assert api.get("/v1/Recordings").status_code == 200
    assert api_client(sid, "0" * 64).get("/v1/Recordings").status_code == 401

    confirm = client.get(reverse("team:key-revoke", args=[sid]))
    assert f"Revoke {sid}?" in confirm.content.decode()
    assert api.get("/v1/Recordings").status_code == 200
    revoked = client.post(
        reverse("team:key-revoke", args=[sid]), {"confirm": "True"}, REMOTE_ADDR=IP
    )

    assert revoked.status_code == 302 and revoked.url == reverse("team:keys")
    assert api.get("/v1/Recordings").status_code == 401
    event = latest_event(account)
    assert (event.action, event.object_sid, event.actor, event.source_ip) == (
        "api_key.revoke",
        sid,
        "user:admin@example.com",
        IP,
    )
    assert event.actor_user.username == "admin@example.com"


def test_revoking_needs_the_confirmation_and_happens_once(console_client, account, target):
    client = console_client("owner")
    revoke = reverse("team:key-revoke", args=[target["sid"]])

    client.post(revoke, {})
    assert ApiKey.objects.get(sid=target["sid"]).date_revoked is None
    client.post(revoke, {"confirm": "True"})
    first = ApiKey.objects.get(sid=target["sid"]).date_revoked
    events = AuditEvent.objects.filter(action="api_key.revoke").count()
    again = client.post(revoke, {"confirm": "True"}, follow=True)

    assert first is not None
    assert ApiKey.objects.get(sid=target["sid"]).date_revoked == first
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == events == 1
    assert "already revoked" in again.content.decode()


# RECORDING SETTINGS -----------------------------------------------------------------------------


def test_record_on_connect_set_here_applies_to_new_api_rooms(console_client, account, api):
    client = console_client("admin")
    page = client.get(reverse("team:settings")).content.decode()
    assert "Record participants on connect for new rooms" in page
    assert "checked" not in re.search(r"<input[^>]*record_participants_on_connect[^>]*>", page)[0]
    assert not RecordingSettings.objects.filter(account=account).exists()

    saved = client.post(
        reverse("team:settings"), {"record_participants_on_connect": "on"}, REMOTE_ADDR=IP
    )

    assert saved.status_code == 302 and saved.url == reverse("team:settings")
    assert RecordingSettings.objects.get(account=account).record_participants_on_connect
    page = client.get(reverse("team:settings")).content.decode()
    assert "checked" in re.search(r"<input[^>]*record_participants_on_connect[^>]*>", page)[0]
    event = latest_event(account)
    assert (event.action, event.object_sid, event.actor, event.source_ip) == (
        "recording_settings.update",
        account.sid,
        "user:admin@example.com",
        IP,
    )
    created = api.post("/v1/Rooms", urlencode({"UniqueName": "standup"}), content_type=FORM)
    assert created.status_code == 201
    assert created.json()["record_participants_on_connect"] is True
    room = Room.objects.get(sid=created.json()["sid"])
    alice = services.participant_connect(room=room, identity="alice")
    services.track_publish(participant=alice, name="mic", kind=MediaType.AUDIO, codec="OPUS")
    assert list(Recording.objects.filter(room=room).values_list("track_name", flat=True)) == ["mic"]


def test_unticking_record_on_connect_turns_it_off_for_new_rooms(console_client, account, api):
    services.recording_settings_update(account=account, record_participants_on_connect=True)
    client = console_client("owner")

    client.post(reverse("team:settings"), {})

    assert not RecordingSettings.objects.get(account=account).record_participants_on_connect
    created = api.post("/v1/Rooms", urlencode({"UniqueName": "quiet"}), content_type=FORM)
    assert created.json()["record_participants_on_connect"] is False


# AUDIT LOG --------------------------------------------------------------------------------------


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def events(account):
    """Five events over five days, by a user, an API key and the system, oldest first."""
    user = UserFactory(username="alice@example.com")
    specs = [
        (Actor("user:alice@example.com", user, "198.51.100.1"), "member.set", "", "bob: viewer"),
        (Actor("api:SK" + "a" * 32, None, "198.51.100.2"), "api_key.create", "SK" + "1" * 32, ""),
        (
            Actor("user:alice@example.com", user, "198.51.100.3"),
            "api_key.revoke",
            "SK" + "1" * 32,
            "k",
        ),
        (Actor("system"), "recording.delete", "RT" + "2" * 32, "mic of alice"),
        (
            Actor("user:bob@example.com", None, "2001:db8::1"),
            "recording_settings.update",
            account.sid,
            "",
        ),
    ]
    made = []
    for day, (actor, action, sid, text) in enumerate(specs):
        with time_machine.travel(T0 + timedelta(days=day), tick=False):
            made.append(
                console_services.audit_record(
                    account=account, actor=actor, action=action, object_sid=sid, object_repr=text
                )
            )
    return made


@pytest.fixture
def admin(account, client):
    """An admin's client, made a member (audited) after the events, on 31 March."""
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        membership = console_services.member_set(
            account=account, email="admin@example.com", password=None, role=Role.ADMIN
        )
    client.force_login(membership.user)
    return client


def audit_rows(client, **query) -> list[str]:
    response = client.get(reverse("team:audit"), query)
    assert response.status_code == 200
    return re.findall(r"<td><code>([a-z_.]+)</code></td>", response.content.decode())


def test_the_audit_log_shows_who_what_which_when_where_newest_first(admin, events):
    body = admin.get(reverse("team:audit")).content.decode()

    assert audit_rows(admin) == [
        "member.set",  # the admin's own membership, on 31 March
        "recording_settings.update",
        "recording.delete",
        "api_key.revoke",
        "api_key.create",
        "member.set",
    ]
    revoke = re.search(r"<tr>(?:(?!</tr>).)*api_key\.revoke.*?</tr>", body, re.S).group(0)
    assert "2026-03-03 12:00:00" in revoke
    assert "user:alice@example.com" in revoke and "<td>alice@example.com</td>" in revoke
    assert "SK" + "1" * 32 in revoke and "198.51.100.3" in revoke
    assert "2001:db8::1" in body and "mic of alice" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "api_key.revoke"}, ["api_key.revoke"]),
        ({"action": "api_key"}, ["api_key.revoke", "api_key.create"]),
        ({"action": "api"}, []),
        ({"actor": "ALICE"}, ["api_key.revoke", "member.set"]),
        ({"actor": "api:SK"}, ["api_key.create"]),
        ({"object_sid": "SK" + "1" * 32}, ["api_key.revoke", "api_key.create"]),
        (
            {"date_after": "2026-03-02", "date_before": "2026-03-04"},
            [
                "recording.delete",
                "api_key.revoke",
                "api_key.create",
            ],
        ),
        ({"date_before": "2026-03-01"}, ["member.set"]),
        ({"actor": "alice", "date_after": "2026-03-02"}, ["api_key.revoke"]),
        # An invalid filter is shown with its error; the valid ones still apply.
        ({"actor": "bob", "date_after": "not-a-date"}, ["recording_settings.update"]),
    ],
)
def test_the_audit_filters_narrow_the_log(admin, events, query, expected):
    assert audit_rows(admin, **query) == expected


def test_the_audit_filters_live_in_the_url_and_survive_paging(admin, events, monkeypatch):
    monkeypatch.setattr(audit_view, "PAGE_SIZE", 2)
    client = admin

    first = client.get(reverse("team:audit"), {"date_before": "2026-03-30"})
    body = first.content.decode()
    next_url = re.search(r'href="([^"]+)" rel="next"', body).group(1).replace("&amp;", "&")
    assert 'rel="prev"' not in body
    assert "date_before=2026-03-30" in next_url
    second = client.get(reverse("team:audit") + next_url).content.decode()
    third_url = re.search(r'href="([^"]+)" rel="next"', second).group(1).replace("&amp;", "&")
    third = client.get(reverse("team:audit") + third_url).content.decode()
    back_url = re.search(r'href="([^"]+)" rel="prev"', third).group(1).replace("&amp;", "&")
    back = client.get(reverse("team:audit") + back_url).content.decode()

    pages = [
        re.findall(r"<td><code>([a-z_.]+)</code></td>", page)
        for page in (body, second, third, back)
    ]
    assert pages == [
        ["recording_settings.update", "recording.delete"],
        ["api_key.revoke", "api_key.create"],
        ["member.set"],
        ["api_key.revoke", "api_key.create"],
    ]
    assert 'rel="next"' not in third


def test_events_at_the_same_instant_page_by_id(console_client, account, monkeypatch):
    monkeypatch.setattr(audit_view, "PAGE_SIZE", 2)
    with time_machine.travel(T0, tick=False):
        for n in range(5):
            AuditEventFactory(account=account, action=f"a.n{n}")
    client = console_client("admin")
    seen, page = [], reverse("team:audit") + "?actor=system"

    while page:
        body = client.get(page).content.decode()
        seen += re.findall(r"<code>(a\.n\d)</code>", body)
        found = re.search(r'href="([^"]+)" rel="next"', body)
        page = reverse("team:audit") + found.group(1).replace("&amp;", "&") if found else None

    assert seen == ["a.n4", "a.n3", "a.n2", "a.n1", "a.n0"]


def test_a_malformed_page_token_shows_the_first_page(admin, events, monkeypatch):
    monkeypatch.setattr(audit_view, "PAGE_SIZE", 2)
    first = admin.get(reverse("team:audit")).content.decode()
    token = re.search(r'href="\?older=([0-9_]+)" rel="next"', first).group(1)

    assert audit_rows(admin, older=token) != audit_rows(admin)
    for garbage in ["garbage", "12_x", "1_2_3", "9" * 40 + "_1"]:
        assert audit_rows(admin, older=garbage) == audit_rows(admin), garbage


# QUERY COUNTS -----------------------------------------------------------------------------------


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_members_list_costs_the_same_queries_for_any_number_of_members(
    console_client, account, django_assert_max_num_queries
):
    client = console_client("owner")
    few = queries_for(client, reverse("team:members"))
    MembershipFactory.create_batch(30, account=account, role=Role.VIEWER)

    with django_assert_max_num_queries(6):
        assert client.get(reverse("team:members")).status_code == 200
    assert queries_for(client, reverse("team:members")) == few


def test_the_invitation_list_costs_the_same_queries_for_any_number_of_invitations(
    console_client, account, django_assert_max_num_queries
):
    client = console_client("admin")
    few = queries_for(client, reverse("team:invitations"))
    inviter = get_user_model().objects.get(username="admin@example.com")
    InvitationFactory.create_batch(30, account=account, role=Role.VIEWER, invited_by=inviter)

    with django_assert_max_num_queries(6):
        body = client.get(reverse("team:invitations")).content.decode()
    assert body.count("admin@example.com</td>") == 30
    assert queries_for(client, reverse("team:invitations")) == few


def test_the_key_list_costs_the_same_queries_for_any_number_of_keys(
    console_client, account, django_assert_max_num_queries
):
    client = console_client("admin")
    few = queries_for(client, reverse("team:keys"))
    ApiKeyFactory.create_batch(20, account=account)
    ApiKeyFactory.create_batch(10, account=account, date_revoked=timezone.now())

    with django_assert_max_num_queries(6):
        assert client.get(reverse("team:keys")).status_code == 200
    assert queries_for(client, reverse("team:keys")) == few


def test_the_audit_page_costs_the_same_queries_for_any_number_of_events(
    console_client, account, django_assert_max_num_queries
):
    client = console_client("admin")
    few = queries_for(client, reverse("team:audit"))
    users = UserFactory.create_batch(5)
    AuditEventFactory.create_batch(
        120, account=account, actor_user=factory.Iterator(users), source_ip=IP, action="x.y"
    )

    with django_assert_max_num_queries(6):
        body = client.get(reverse("team:audit"), {"action": "x"}).content.decode()
    assert body.count("<code>x.y</code>") == audit_view.PAGE_SIZE
    assert queries_for(client, reverse("team:audit")) == few
