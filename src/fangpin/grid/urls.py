from django.urls import path

from . import views

app_name = "grid"

urlpatterns = [
    path("", views.index, name="index"),
    path("report/", views.report, name="report"),
    path("villages/<int:pk>/", views.village, name="village"),
    path("villages/<int:pk>/ledger.xlsx", views.ledger, name="ledger"),
    path("groups/<int:pk>/split/", views.group_split, name="group_split"),
    path("grids/<int:pk>/", views.grid_detail, name="grid_detail"),
    path("grids/<int:pk>/assign/", views.grid_assign, name="grid_assign"),
    path("units/<int:pk>/workers/new/", views.worker_create, name="worker_create"),
    path("workers/<int:pk>/edit/", views.worker_edit, name="worker_edit"),
    path("workers/<int:pk>/remove/", views.worker_remove, name="worker_remove"),
    path("working-groups/", views.working_groups, name="working_groups"),
    path("working-groups/<int:pk>/", views.working_group_edit, name="working_group_edit"),
]
