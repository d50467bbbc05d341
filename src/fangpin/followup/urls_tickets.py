from django.urls import path

from . import views_tickets

urlpatterns: list = [
    path("tickets/", views_tickets.ticket_list, name="ticket_list"),
    path("tickets/new/", views_tickets.ticket_new, name="ticket_new"),
    path("tickets/export/", views_tickets.ticket_export, name="ticket_export"),
    path("tickets/<int:pk>/", views_tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/close/", views_tickets.ticket_close, name="ticket_close"),
    path("tickets/<int:pk>/reclassify/", views_tickets.ticket_reclassify, name="ticket_reclassify"),
    path("tickets/<int:pk>/assign/", views_tickets.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/evidence/", views_tickets.ticket_evidence, name="ticket_evidence"),
]
