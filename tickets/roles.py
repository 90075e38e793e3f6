"""The actors of §3 and what each may see. Roles are Django groups; merchant staff are shop
memberships. Out-of-scope objects are reported as missing (404), never as forbidden."""

import functools
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser, Group

REVIEWERS = "reviewers"
REVIEW_LEADS = "review_leads"  # §18: lead reviewers, who also assign complaints and take them back
OPERATIONS = "operations"
ORDER_SYSTEM = "order_system"
BUYERS = "buyers"
ROLE_GROUPS = (REVIEWERS, REVIEW_LEADS, OPERATIONS, ORDER_SYSTEM, BUYERS)


def group_names(user) -> frozenset[str]:
    """The role groups (ROLE_GROUPS) the user is in, read once per user object."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
        user._role_group_names = cached
    return cached


def is_reviewer(user) -> bool:
    """Reviewers, and lead reviewers (leads are reviewers too)."""
    return bool(group_names(user) & {REVIEWERS, REVIEW_LEADS})


def is_review_lead(user) -> bool:
    return REVIEW_LEADS in group_names(user)


def is_operations(user) -> bool:
    return OPERATIONS in group_names(user)


def is_order_system(user) -> bool:
    return ORDER_SYSTEM in group_names(user)


def is_platform_staff(user) -> bool:
    """Reviewers (leads too) and operations read everything."""
    return bool(group_names(user) & {REVIEWERS, REVIEW_LEADS, OPERATIONS})


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


def sees_ticket_internals(user, shop_id: int) -> bool:
    """§14, §17: notes, evidence, liability and who acted are for the shop's staff and the
    platform; a ticket's buyer gets the buyer's projection of it."""
    return is_platform_staff(user) or is_merchant_of(user, shop_id)


# -- reading roles and shops with the user, in one statement -------------------------------


def user_with_roles_by_token(key: str):
    """The active or inactive user holding the API token `key`, with its role groups and shops
    read by the same statement (the request's permission and scope checks then ask the
    database nothing more), and the token as `user.auth_token_row`. None for no such token."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from .statements import instance

    User = get_user_model()
    with connection.cursor() as cursor:  # no queryset to build: the statement is written out
        cursor.execute(_token_statement(connection.vendor), [*ROLE_GROUPS, key])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    user = instance(User, _user_columns(connection.alias), values, connection, connection.alias)
    token_created, names, shops = values
    remember(user, SimpleNamespace(role_group_names=names, staffed_shop_ids=shops))
    user.auth_token_row = Token(key=key, user=user, created=token_created)
    user.auth_token_row._state.adding = False
    return user


@functools.cache
def _token_statement(vendor: str) -> str:
    """Written out once from the models' metadata: it runs on every API request, where
    compiling the equivalent queryset each time would cost more than running it."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from .models import ShopMembership

    q = connection.ops.quote_name
    agg = "STRING_AGG" if vendor == "postgresql" else "GROUP_CONCAT"
    users, groups, tokens = get_user_model()._meta, Group._meta, Token._meta
    user_groups, memberships = get_user_model().groups.through._meta, ShopMembership._meta

    def col(alias, meta, name):
        return f"{alias}.{q(meta.get_field(name).column)}"

    user_id = f"u.{q(users.pk.column)}"
    role_names = (
        f"SELECT {agg}({col('g', groups, 'name')}, ',') "
        f"FROM {q(groups.db_table)} g JOIN {q(user_groups.db_table)} ug "
        f"ON {col('ug', user_groups, 'group')} = g.{q(groups.pk.column)} "
        f"WHERE {col('ug', user_groups, 'user')} = {user_id} "
        f"AND {col('g', groups, 'name')} IN ({', '.join(['%s'] * len(ROLE_GROUPS))})"
    )
    shop_ids = (
        f"SELECT {agg}(CAST({col('m', memberships, 'shop')} AS text), ',') "
        f"FROM {q(memberships.db_table)} m WHERE {col('m', memberships, 'user')} = {user_id}"
    )
    return (
        f"SELECT {', '.join(f'u.{q(f.column)}' for f in users.concrete_fields)}, "
        f"{col('t', tokens, 'created')} AS token_created, "
        f"({role_names}) AS role_group_names, ({shop_ids}) AS staffed_shop_ids "
        f"FROM {q(users.db_table)} u JOIN {q(tokens.db_table)} t "
        f"ON {col('t', tokens, 'user')} = {user_id} WHERE t.{q(tokens.pk.column)} = %s"
    )


@functools.cache
def _user_columns(alias: str) -> list:
    from django.contrib.auth import get_user_model
    from django.db import connections

    from .statements import columns

    return columns(get_user_model(), "u", connections[alias])


def remember(user, row) -> None:
    """Keep on `user` the roles and shops read with it (`role_group_names`,
    `staffed_shop_ids`: comma-separated texts or NULL)."""
    names, shops = row.role_group_names, row.staffed_shop_ids
    user._role_group_names = frozenset(names.split(",")) if names else frozenset()
    user._staffed_shop_ids = frozenset(int(i) for i in shops.split(",")) if shops else frozenset()
