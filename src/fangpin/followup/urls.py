from django.urls import path

from . import urls_analysis, urls_monthly, urls_schedule, urls_tickets, views

app_name = "followup"

urlpatterns = [
    path("", views.must_visit_list, name="must_visit_list"),
    path("records/", views.visit_list, name="visit_list"),
    path("records/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("household/<int:pk>/new/", views.visit_new, name="visit_new"),
    path("sweeps/", views.sweep_list, name="sweep_list"),
    path("sweeps/new/", views.sweep_new, name="sweep_new"),
    path("sweeps/<int:pk>/", views.sweep_detail, name="sweep_detail"),
    path("sweeps/<int:pk>/close/", views.sweep_close, name="sweep_close"),
    path("screenings/", views.screening_list, name="screening_list"),
    path("screenings/new/", views.screening_new, name="screening_new"),
    path("screenings/<int:pk>/file/", views.screening_file, name="screening_file"),
    *urls_schedule.urlpatterns,
    *urls_monthly.urlpatterns,
    *urls_tickets.urlpatterns,
    *urls_analysis.urlpatterns,
]
