"""Who may call which endpoint (§3). Object scope is the selectors' job (out of scope = 404);
these refuse a whole endpoint to a role (403)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission

from .. import roles


class IsOrderSystem(BasePermission):
    message = _("Only the order system's account may use the order endpoints.")

    def has_permission(self, request, view):
        return roles.is_order_system(request.user)


class IsNotOrderSystem(BasePermission):
    message = _("The order system's account may use only the order endpoints.")

    def has_permission(self, request, view):
        return not roles.is_order_system(request.user)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
