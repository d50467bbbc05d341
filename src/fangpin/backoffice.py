"""Back-office (Django admin) building blocks shared by the apps (R-SEC-02, R-SUP-07).

Rows whose every change must go through a service — scope checked, validated, audited — are shown
in the back office but never written there: ``ReadOnlyAdmin`` refuses add, change and delete (Django
answers 403 and hides the buttons and the bulk delete), and ``ReadOnlyHistoryAdmin`` also refuses a
post to django-simple-history's "revert to this version" page, which otherwise saves whatever is
posted to it for anyone who may view the row.

This module sits below every app in the layer contracts: it imports nothing from fangpin.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by those with view permission (the administrator); not addable, changeable or deletable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """``ReadOnlyAdmin`` with the row's history pages; a version can be looked at, not restored."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
