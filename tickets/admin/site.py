"""The admin site: its titles, platform staff only (§3), and a missing record as the product's
404 page (§18)."""

from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy

from .. import roles

admin.site.site_header = gettext_lazy("Urge-shipment tickets · platform back office")
admin.site.site_title = gettext_lazy("Urge-shipment back office")
admin.site.index_title = gettext_lazy("Review desk")
admin.site.site_url = None  # the site's front page is the merchants'; no link to it here


def _platform_staff_only(request):
    """§3: the admin is for reviewers and operations. `is_staff` alone is not enough, so that a
    merchant flagged staff by mistake still never reaches it."""
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or roles.is_platform_staff(user))


# An instance attribute, because the default site is created by django.contrib.admin and the
# settings (owned elsewhere) keep the default AdminConfig.
admin.site.has_permission = _platform_staff_only


def _missing_record_is_not_found(model_admin, request, opts, object_id):
    """§18: the change page of an id that does not exist (a complaint id mistyped, a stale
    link) is the product's own 404 page in the reader's language (config/errors.py), as
    everywhere else; Django would send the reader to the index with a note instead."""
    raise Http404(f"{opts.label} {object_id}")


# On ModelAdmin itself, so that every desk (and Django's own admins) answer alike: Django has
# no public hook for it, this method is where its change, delete and history pages turn.
admin.ModelAdmin._get_obj_does_not_exist_redirect = _missing_record_is_not_found
