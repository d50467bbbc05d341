from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("imports/<int:pk>/recheck/", views.import_recheck, name="import_recheck"),
    path("exports/", views.export_create, name="export_create"),
    path("exports/<int:pk>/", views.export_download, name="export_download"),
]
