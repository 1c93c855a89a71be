"""What every console page's layout needs: the user's accounts, the current one, and the sidebar."""

from typing import NamedTuple

from django.urls import NoReverseMatch, reverse

from console.access import current_membership
from console.roles import Action, role_allows
from console.selectors import memberships_of_user


class NavLink(NamedTuple):
    label: str
    url_name: str
    action: str
    # The pages the link stands for: URL names ("namespace:name") starting with this.
    covers: str


# The sidebar, in order. A link shows to the roles its page's action allows (the view still
# enforces it); a page marks the link whose ``covers`` is the longest start of its URL name, so a
# recording's details mark Recordings and a composition hook marks Composition hooks.
NAV_LINKS = (
    NavLink("Dashboard", "home", Action.VIEW, "home"),
    NavLink("Recordings", "recordings:list", Action.VIEW, "recordings:"),
    NavLink("Voice recordings", "voice:list", Action.VIEW, "voice:"),
    NavLink("Rooms", "rooms:list", Action.VIEW, "rooms:"),
    NavLink("Compositions", "compositions:list", Action.VIEW, "compositions:"),
    NavLink("Bulk deletions", "bulk:list", Action.DELETE, "bulk:"),
    NavLink("Webhook log", "webhooks:list", Action.VIEW, "webhooks:"),
    NavLink("Retention policies", "policies:list", Action.VIEW, "policies:"),
    NavLink("Legal holds", "holds:list", Action.VIEW, "holds:"),
    NavLink("Trash", "trash:list", Action.MANAGE_RETENTION, "trash:"),
    NavLink("Members", "team:members", Action.MANAGE_MEMBERS, "team:member"),
    NavLink("Auth token", "team:auth-token", Action.MANAGE_AUTH_TOKEN, "team:auth-token"),
    NavLink("Invitations", "team:invitations", Action.INVITE, "team:invitation"),
    NavLink("API keys", "team:keys", Action.ADMINISTER, "team:key"),
    NavLink("Recording settings", "team:settings", Action.ADMINISTER, "team:settings"),
    NavLink("Composition hooks", "compositions:hooks", Action.ADMINISTER, "compositions:hook"),
    NavLink("AWS credentials", "team:aws-credentials", Action.ADMINISTER, "team:aws-credentials"),
    NavLink("Audit log", "team:audit", Action.ADMINISTER, "team:audit"),
    NavLink("Imports", "imports:list", Action.ADMINISTER, "imports:"),
    NavLink("API docs", "api-docs", Action.VIEW, "api-docs"),
)


def nav_links(request, role: str) -> list[dict[str, object]]:
    """Return the sidebar's links for a role, the one standing for the current page marked."""
    match = getattr(request, "resolver_match", None)
    here = match.view_name if match else ""
    shown = []
    for link in NAV_LINKS:
        if not role_allows(role, link.action):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:  # a URLconf that does not mount the page (some tests' own)
            continue
        shown.append({"label": link.label, "url": url, "covers": link.covers})
    current = max(
        (link for link in shown if here.startswith(str(link["covers"]))),
        key=lambda link: len(str(link["covers"])),
        default=None,
    )
    for link in shown:
        link["current"] = link is current
    return shown


def navigation(request) -> dict:
    # DRF pages (the API docs) leave no user at all on an anonymous request.
    if request.user is None or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "nav_memberships": memberships_of_user(user=request.user),
        "nav_membership": membership,
        "nav_links": nav_links(request, membership.role) if membership else [],
    }
