"""The role table: which actions each console role and each API key scope may take.

Roles and scopes are defined nowhere else: console pages check a member's role here, API and
ingest views check the caller's scope here, against the same actions.
"""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(models.TextChoices):
    VIEW = "view", "See recordings, rooms, rules and the dashboard"
    PLAY = "play", "Play and download media, export CSV"
    EDIT_RULES = "edit_rules", "Edit recording rules, start and end rooms and call recordings"
    DELETE = "delete", "Delete one or many recordings"
    ADMINISTER = "administer", "Manage API keys, recording settings, read the audit log"
    INVITE = "invite", "Invite people to the account and revoke pending invitations"
    MANAGE_MEMBERS = "manage_members", "Manage members and roles"
    MANAGE_AUTH_TOKEN = "manage_auth_token", "Rotate the account's auth token"
    INGEST = "ingest", "Report rooms, calls and their media from a media server (/ingest/v1)"
    REPLAY_CALLBACKS = "replay_callbacks", "Send a status callback again from the webhook log"
    MANAGE_RETENTION = "manage_retention", "Write retention policies, restore from the trash"
    MANAGE_HOLDS = "manage_holds", "Place and release legal holds"


class Scope(models.TextChoices):
    """What an API key may do; the account's own auth token acts as ``main``."""

    MAIN = "main", "Main"
    STANDARD = "standard", "Standard"
    READ = "read", "Read"
    INGEST = "ingest", "Ingest"


_VIEWER = {Action.VIEW}
_MEMBER = _VIEWER | {Action.PLAY, Action.EDIT_RULES, Action.REPLAY_CALLBACKS}
_ADMIN = _MEMBER | {Action.DELETE, Action.ADMINISTER, Action.INVITE, Action.MANAGE_RETENTION}
# A legal hold overrides every deletion, policies included: only owners place or lift one.
_OWNER = _ADMIN | {Action.MANAGE_MEMBERS, Action.MANAGE_AUTH_TOKEN, Action.MANAGE_HOLDS}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}


_READ = {Action.VIEW, Action.PLAY}
# Twilio's Standard key: the Video and Voice APIs, but not keys, credentials or settings.
_STANDARD = _READ | {Action.EDIT_RULES, Action.DELETE, Action.REPLAY_CALLBACKS}

SCOPE_ACTIONS: dict[str, frozenset[str]] = {
    Scope.READ: frozenset(_READ),
    Scope.INGEST: frozenset({Action.INGEST}),
    Scope.STANDARD: frozenset(_STANDARD),
    Scope.MAIN: frozenset(Action),
}


def role_allows(role: str, action: str) -> bool:
    """Tell whether a member with this role may take this action."""
    return action in ROLE_ACTIONS.get(role, frozenset())


def least_role_allowing(action: str) -> Role | None:
    """Return the role with the fewest actions that allows this one (None: no role does)."""
    allowing = [Role(role) for role, actions in ROLE_ACTIONS.items() if action in actions]
    return min(allowing, key=lambda role: len(ROLE_ACTIONS[role]), default=None)


# The roles an invitation from each role may grant: nobody hands out more than they hold, so an
# admin cannot invite an owner. Changing roles and removing members stay with owners.
ROLE_GRANTS: dict[str, tuple[Role, ...]] = {
    Role.OWNER: (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER),
    Role.ADMIN: (Role.ADMIN, Role.MEMBER, Role.VIEWER),
}


def roles_grantable(role: str) -> tuple[Role, ...]:
    """Return the roles a member with this role may invite someone as."""
    return ROLE_GRANTS.get(role, ())


def scope_allows(scope: str, action: str) -> bool:
    """Tell whether an API caller with this scope may take this action."""
    return action in SCOPE_ACTIONS.get(scope, frozenset())


def scopes_allowing(action: str) -> list[str]:
    """Return the scopes that may take this action, narrowest first."""
    return [scope for scope, actions in SCOPE_ACTIONS.items() if action in actions]
