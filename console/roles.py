"""The role table: which console actions each role may take. Roles are defined nowhere else."""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(models.TextChoices):
    VIEW = "view", "See recordings, rooms, rules and the dashboard"
    PLAY = "play", "Play and download media, export CSV"
    EDIT_RULES = "edit_rules", "Edit recording rules and end rooms"
    DELETE = "delete", "Delete one or many recordings"
    ADMINISTER = "administer", "Manage API keys, recording settings, read the audit log"
    MANAGE_MEMBERS = "manage_members", "Manage members and roles"
    MANAGE_AUTH_TOKEN = "manage_auth_token", "Rotate the account's auth token"


_VIEWER = {Action.VIEW}
_MEMBER = _VIEWER | {Action.PLAY, Action.EDIT_RULES}
_ADMIN = _MEMBER | {Action.DELETE, Action.ADMINISTER}
_OWNER = _ADMIN | {Action.MANAGE_MEMBERS, Action.MANAGE_AUTH_TOKEN}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}


def role_allows(role: str, action: str) -> bool:
    """Tell whether a member with this role may take this action."""
    return action in ROLE_ACTIONS.get(role, frozenset())
