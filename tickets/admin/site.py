"""The admin site: its titles, and platform staff only (§3)."""

from django.contrib import admin
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
