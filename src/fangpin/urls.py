from django.contrib import admin
from django.urls import include, path

from fangpin import home
from fangpin.api.urls import api

admin.site.site_header = "防返贫监测帮扶平台 · 后台管理"
admin.site.site_title = "防返贫监测帮扶平台"

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/", include("fangpin.accounts.urls")),
    path("households/", include("fangpin.registry.urls", namespace="registry")),
    path("cases/", include("fangpin.cases.urls", namespace="cases")),
    path("leads/", include("fangpin.discovery.urls", namespace="discovery")),
    path("interop/", include("fangpin.interop.urls", namespace="interop")),
    path("grid/", include("fangpin.grid.urls", namespace="grid")),
    path("visits/", include("fangpin.followup.urls", namespace="followup")),
    path("assistance/", include("fangpin.assistance.urls", namespace="assistance")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler403 = "fangpin.web.permission_denied"
