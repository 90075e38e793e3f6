"""The actors of §3 and what each may see. Roles are Django groups; merchant staff are shop
memberships. Out-of-scope objects are reported as missing (404), never as forbidden."""

from django.contrib.auth.models import AnonymousUser

REVIEWERS = "reviewers"
OPERATIONS = "operations"
ORDER_SYSTEM = "order_system"
BUYERS = "buyers"
ROLE_GROUPS = (REVIEWERS, OPERATIONS, ORDER_SYSTEM, BUYERS)


def group_names(user) -> frozenset[str]:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_group_names = cached
    return cached


def is_reviewer(user) -> bool:
    return REVIEWERS in group_names(user)


def is_operations(user) -> bool:
    return OPERATIONS in group_names(user)


def is_order_system(user) -> bool:
    return ORDER_SYSTEM in group_names(user)


def is_platform_staff(user) -> bool:
    """Reviewers and operations read everything."""
    return bool(group_names(user) & {REVIEWERS, OPERATIONS})


def shop_ids(user) -> frozenset[int]:
    """The shops this user staffs (empty for anyone else)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_staffed_shop_ids", None)
    if cached is None:
        cached = frozenset(user.memberships.values_list("shop_id", flat=True))
        user._staffed_shop_ids = cached
    return cached


def is_merchant_of(user, shop_id: int) -> bool:
    return shop_id in shop_ids(user)
