"""Who is asking, in which account, and may they: the one gate every console page goes through.

A signed-in user works in one account at a time (chosen with the account switcher and kept in the
session). Every page declares the one action it needs; the role table in ``console.roles``
decides. A page of an account the user is not a member of does not exist for them.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from console.client_ip import client_ip
from console.models import Account, Membership
from console.roles import ROLE_ACTIONS, Action, least_role_allowing, role_allows
from console.selectors import memberships_of_user

SESSION_ACCOUNT = "roomvault.account_sid"

# What each action is, as the subject of "… needs the Admin role" on the 403 page.
ACTION_DOING = {
    Action.VIEW: "Seeing recordings and rooms",
    Action.PLAY: "Playing, downloading and exporting recordings",
    Action.EDIT_RULES: "Changing recording rules, rooms and call recordings",
    Action.DELETE: "Deleting",
    Action.ADMINISTER: "Administering the account",
    Action.INVITE: "Inviting people",
    Action.MANAGE_MEMBERS: "Managing members",
    Action.MANAGE_AUTH_TOKEN: "Managing the auth token",
    Action.INGEST: "Reporting media",
    Action.REPLAY_CALLBACKS: "Sending status callbacks again",
    Action.MANAGE_RETENTION: "Managing retention and the trash",
    Action.MANAGE_HOLDS: "Placing and releasing legal holds",
}


class RoleRequired(PermissionDenied):
    """A member's role does not allow a page's action; says the least role that does."""

    def __init__(self, action: str):
        self.action = action
        role = least_role_allowing(action)
        needs = f"the {role.label} role" if role else "an API key, not a console role"
        self.reason = f"{ACTION_DOING[Action(action)]} needs {needs}."
        super().__init__(self.reason)


class NoAccount(PermissionDenied):
    """A signed-in user who is a member of no account."""

    reason = "You are not a member of any account: ask an account's owner to invite you."


def current_membership(request) -> Membership | None:
    """Return the signed-in user's membership in the account they work in (or their first)."""
    if not request.user.is_authenticated:
        return None
    memberships = list(memberships_of_user(user=request.user))
    chosen = request.session.get(SESSION_ACCOUNT)
    for membership in memberships:
        if membership.account_id == chosen:
            return membership
    return memberships[0] if memberships else None


def switch_account(request, account_sid: str) -> Membership | None:
    """Make the user work in another of their accounts; None if they are not a member of it."""
    for membership in memberships_of_user(user=request.user):
        if membership.account_id == account_sid:
            request.session[SESSION_ACCOUNT] = account_sid
            return membership
    return None


class AccountPageMixin(LoginRequiredMixin):
    """Resolve the caller's account and role, and refuse (403) a role the action is not for.

    Views set ``action``; they then find ``self.account`` and ``self.membership`` ready, and
    templates find ``account``, ``membership`` and ``can`` (the actions the role allows).
    """

    action: str = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = current_membership(request)
        if membership is None:
            raise NoAccount
        if not role_allows(membership.role, self.get_action()):
            raise RoleRequired(self.get_action())
        self.membership = membership
        self.account: Account = membership.account
        return super().dispatch(request, *args, **kwargs)

    def get_action(self) -> str:
        """Return the action this request needs (override for per-method actions)."""
        return self.action

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            account=self.account,
            membership=self.membership,
            can={action: True for action in ROLE_ACTIONS[self.membership.role]},
        )
        return context


def actor_for(request):
    """Return the audit actor for the signed-in console user making this request."""
    from console.services import Actor

    return Actor(
        name=f"user:{request.user.username}", user=request.user, source_ip=client_ip(request)
    )
