from django.urls import path

from . import views_catalogue as v

# Mounted at /assistance/policies/ (namespace ``assistance``).
urlpatterns = [
    path("", v.home, name="catalogue_home"),
    path("open/", v.open_list, name="catalogue_open"),
    path("compile/", v.compile_view, name="catalogue_compile"),
    path("lists/<int:pk>/", v.list_detail, name="catalogue_list"),
    path("lists/<int:pk>/policies/new/", v.policy_new, name="catalogue_policy_new"),
    path("lists/<int:pk>/submit/", v.submit, name="catalogue_submit"),
    path("lists/<int:pk>/reopen/", v.reopen, name="catalogue_reopen"),
    path("lists/<int:pk>/publish/", v.publish, name="catalogue_publish"),
    path("lists/<int:pk>/import/", v.import_file, name="catalogue_import"),
    path("lists/<int:pk>/import/confirm/", v.import_confirm, name="catalogue_import_confirm"),
    path("lists/<int:pk>/export/", v.export, name="catalogue_export"),
    path("lists/<int:pk>/booklet/", v.booklet, name="catalogue_booklet"),
    path("policies/<int:pk>/edit/", v.policy_edit, name="catalogue_policy_edit"),
    path("policies/<int:pk>/remove/", v.policy_remove, name="catalogue_policy_remove"),
    # Public (no account): the county's current catalogue, its booklet and the QR code to the page.
    path("public/<str:county>/", v.public_catalogue, name="catalogue_public"),
    path("public/<str:county>/booklet/", v.public_booklet, name="catalogue_public_booklet"),
    path("public/<str:county>/qr.svg", v.public_qr_svg, name="catalogue_public_qr_svg"),
    path("public/<str:county>/qr.png", v.public_qr_png, name="catalogue_public_qr_png"),
]
