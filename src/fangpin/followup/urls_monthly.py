from django.urls import path

from . import views_monthly

urlpatterns: list = [
    path("household/<int:pk>/monthly/", views_monthly.monthly_visit, name="monthly_visit"),
    path("member-changes/", views_monthly.member_change_list, name="member_change_list"),
    path("member-changes/<int:pk>/", views_monthly.member_change_detail, name="member_change_detail"),
    path("member-changes/<int:pk>/decide/", views_monthly.member_change_decide, name="member_change_decide"),
]
