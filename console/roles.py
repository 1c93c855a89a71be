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
    INVITE = "invite", "Invite people to the account and revoke pending invitations"
    MANAGE_MEMBERS = "manage_members", "Manage members and roles"


_VIEWER = {Action.VIEW}
_MEMBER = _VIEWER | {Action.PLAY, Action.EDIT_RULES}
_ADMIN = _MEMBER | {Action.DELETE, Action.ADMINISTER, Action.INVITE}
_OWNER = _ADMIN | {Action.MANAGE_MEMBERS}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}


def role_allows(role: str, action: str) -> bool:
    """Tell whether a member with this role may take this action."""
    return action in ROLE_ACTIONS.get(role, frozenset())


# The roles an invitation from each role may grant: nobody hands out more than they hold, so an
# admin cannot invite an owner. Changing roles and removing members stay with owners.
ROLE_GRANTS: dict[str, tuple[Role, ...]] = {
    Role.OWNER: (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER),
    Role.ADMIN: (Role.ADMIN, Role.MEMBER, Role.VIEWER),
}


def roles_grantable(role: str) -> tuple[Role, ...]:
    """Return the roles a member with this role may invite someone as."""
    return ROLE_GRANTS.get(role, ())
