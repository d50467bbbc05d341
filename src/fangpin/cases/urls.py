from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("overdue/", views.overdue_list, name="overdue"),
    path("new/", views.case_open, name="case_open"),
    path("procedure/", views.procedure_page, name="procedure"),
    path("status/", views.public_status_page, name="public_status"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/step/<slug:step_key>/", views.step_form, name="step"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/return/", views.send_back, name="send_back"),
    path("<int:pk>/objections/new/", views.objection_add, name="objection_add"),
    path("<int:pk>/system-entry/", views.system_entry, name="system_entry"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("objections/<int:pk>/resolve/", views.objection_resolve, name="objection_resolve"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/print/", views.notice_print, name="notice_print"),
]
