from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("export.xlsx", views.household_export, name="household_export"),
    path("new/", views.household_create, name="household_create"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/category/", views.household_category, name="household_category"),
    path("<int:pk>/tags/", views.household_tags, name="household_tags"),
    path("<int:pk>/basic-needs/", views.basic_needs_edit, name="basic_needs_edit"),
    path("<int:pk>/incomes/new/", views.income_add, name="income_add"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("members/<int:member_pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:member_pk>/move/", views.member_move, name="member_move"),
    path("members/<int:member_pk>/remove/", views.member_remove, name="member_remove"),
]

urlpatterns += [
    path("moves/", views.move_list, name="move_list"),
    path("moves/<int:pk>/", views.move_detail, name="move_detail"),
    path("moves/<int:pk>/approve/", views.move_approve, name="move_approve"),
    path("moves/<int:pk>/decline/", views.move_decline, name="move_decline"),
]
