"""Pages for the analysis material, meetings and the door card (R-TRACK-03)."""
from django.urls import path

from . import views_analysis

urlpatterns: list = [
    path("analysis/", views_analysis.analysis_home, name="analysis_home"),
    path("analysis/village/<str:code>/", views_analysis.village_analysis, name="village_analysis"),
    path("analysis/village/<str:code>/export/", views_analysis.village_analysis_export,
         name="village_analysis_export"),
    path("analysis/township/<str:code>/", views_analysis.township_dispatch, name="township_dispatch"),
    path("analysis/township/<str:code>/export/", views_analysis.township_dispatch_export,
         name="township_dispatch_export"),
    path("analysis/<str:code>/meetings/new/", views_analysis.meeting_new, name="meeting_new"),
    path("analysis/meetings/", views_analysis.meeting_list, name="meeting_list"),
    path("analysis/meetings/<int:pk>/", views_analysis.meeting_detail, name="meeting_detail"),
    path("card/<int:pk>/", views_analysis.door_card, name="door_card"),
    path("cards/", views_analysis.door_cards, name="door_cards"),
    path("k/<str:token>/", views_analysis.card_open, name="card_open"),
]
