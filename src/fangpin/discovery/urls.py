from django.urls import path

from . import public_views, views

app_name = "discovery"

urlpatterns = [
    path("", views.lead_list, name="lead_list"),
    path("new/", views.lead_new, name="lead_new"),
    path("overdue/", views.overdue, name="overdue"),
    path("flow/", views.flow, name="flow"),
    path("<int:pk>/", views.lead_detail, name="lead_detail"),
    path("<int:pk>/dispatch/", views.lead_dispatch, name="lead_dispatch"),
    path("<int:pk>/verify/", views.lead_verify, name="lead_verify"),
    path("<int:pk>/close/", views.lead_close, name="lead_close"),
    path("<int:pk>/serious/", views.lead_serious, name="lead_serious"),
    path("<int:pk>/serious/report/", views.lead_serious_report, name="lead_serious_report"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    # Public self-declaration (no account; the token is the village's signed code) and its QR posters.
    path("declare/<str:token>/", public_views.declare, name="declare"),
    path("posters/", public_views.poster_index, name="poster_index"),
    path("posters/<int:pk>/", public_views.poster, name="poster"),
    path("posters/township/<int:pk>/", public_views.poster_township, name="poster_township"),
]
