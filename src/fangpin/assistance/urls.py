from django.urls import include, path

app_name = "assistance"

# One URL module per part of the app: the policy catalogue (incl. its public pages), plans and contacts,
# the department view and the village assistance list.
urlpatterns = [
    path("", include("fangpin.assistance.urls_plans")),
    path("policies/", include("fangpin.assistance.urls_catalogue")),
    path("departments/", include("fangpin.assistance.urls_departments")),
]
