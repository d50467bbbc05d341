"""Pages for the monthly visit schedule and the overdue lists (R-TRACK-01, R-TRACK-04)."""
from django.urls import path

from . import views_schedule

urlpatterns: list = [
    path("schedule/", views_schedule.schedule_list, name="schedule_list"),
    path("schedule/generate/", views_schedule.schedule_generate, name="schedule_generate"),
    path("overdue/", views_schedule.overdue_list, name="overdue_list"),
]
