"""Department view (R-AID-08) and village assistance lists (R-AID-06), under /assistance/departments/."""

from django.urls import path

from . import views_departments as views

urlpatterns = [
    path("", views.department_list, name="department_list"),
    path("households/", views.department_households, name="department_households"),
    path("<int:pk>/answer/", views.department_answer, name="department_answer"),
    path("export.xlsx", views.department_export, name="department_export"),
    path("lists/", views.lists_index, name="lists"),
    path("lists/villages/<int:pk>/", views.village_page, name="village_list"),
    path("lists/villages/<int:pk>/list.xlsx", views.village_xlsx, name="village_list_xlsx"),
    path("lists/export/", views.lists_export, name="lists_export"),
    path("lists/jobs/<int:pk>/", views.lists_job, name="lists_job"),
    path("lists/jobs/<int:pk>/download/", views.lists_job_download, name="lists_job_download"),
]
