"""Who may call which endpoint (§3). Object scope is the selectors' job (out of scope = 404);
these refuse a whole endpoint to a role (403)."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission

from .. import roles
from ..paging import CappedCountPaginator


class IsOrderSystem(BasePermission):
    message = _("Only the order system's account may use the order endpoints.")

    def has_permission(self, request, view):
        return roles.is_order_system(request.user)


class IsNotOrderSystem(BasePermission):
    message = _("The order system's account may use only the order endpoints.")

    def has_permission(self, request, view):
        return not roles.is_order_system(request.user)


class Pagination(PageNumberPagination):
    """50 a page; `page_size` from 1 to 200 and `page` from 1 (or "last"), else 400 naming the
    parameter (DRF would silently use 50, or answer 404, for a malformed value). A page past the
    last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    # `count` exact up to 10,000, PostgreSQL's estimate beyond (tickets.paging).
    django_paginator_class = CappedCountPaginator
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("page_size is a whole number from 1 to %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        malformed = raw is not None and not re.fullmatch(r"[1-9][0-9]{0,17}", raw)
        if malformed and raw not in self.last_page_strings:
            raise ValidationError({self.page_query_param: [_("page is a whole number from 1.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = str(
                    _("Results per page: 1 to %(max)d (default %(default)d).")
                    % {"max": self.max_page_size, "default": self.page_size}
                )
        return parameters
