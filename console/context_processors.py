"""What every console page's layout needs: the user's accounts and the current one."""

from console.access import current_membership
from console.selectors import memberships_of_user


def navigation(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    return {
        "nav_memberships": memberships_of_user(user=request.user),
        "nav_membership": current_membership(request),
    }
