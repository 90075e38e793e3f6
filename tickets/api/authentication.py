"""Token authentication that reads the caller's roles and shops with the token."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .. import roles

# A token key is at most 40 visible ASCII characters (DRF makes 40 hex digits): anything else
# (NUL, which PostgreSQL cannot even compare, non-ASCII, longer) is refused without a query.
TOKEN_KEY = re.compile(r"^[\x21-\x7e]{1,40}$")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (`Authorization: Token <key>`), except that the statement
    that finds the token also reads the user's role groups and shops
    (`roles.user_with_roles_by_token`): the permission and scope checks of the request then
    ask the database nothing more."""

    def authenticate_credentials(self, key):
        if not TOKEN_KEY.match(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = roles.user_with_roles_by_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, user.auth_token_row
