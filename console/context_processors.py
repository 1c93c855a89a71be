"""What every console page's layout needs: the user's accounts and the current one."""

from console.access import current_membership
from console.selectors import memberships_of_user


def navigation(request) -> dict:
    # DRF pages (the API docs) leave no user at all on an anonymous request.
    if request.user is None or not request.user.is_authenticated:
        return {}
    return {
        "nav_memberships": memberships_of_user(user=request.user),
        "nav_membership": current_membership(request),
    }
