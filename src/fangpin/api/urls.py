"""The HTTP API. Routers are thin: they call the same service functions as the pages."""

from ninja import NinjaAPI
from ninja.security import django_auth

from .assistance_catalogue import router as assistance_catalogue_router
from .assistance_departments import router as assistance_departments_router
from .assistance_plans import router as assistance_plans_router
from .cases import router as cases_router
from .declarations import router as declarations_router
from .errors import install as install_error_handlers
from .followup_analysis import router as followup_analysis_router
from .followup_monthly import router as followup_monthly_router
from .followup_schedule import router as followup_schedule_router
from .followup_tickets import router as followup_tickets_router
from .grid import router as grid_router
from .interop import router as interop_router
from .leads import router as leads_router
from .moves import router as moves_router
from .parser import CleanParser
from .registry import router as registry_router
from .visits import router as visits_router

api = NinjaAPI(
    title="防返贫监测帮扶平台 API",
    version="1",
    description="农户、家庭成员等数据的读写接口。与页面相同的权限范围、校验与操作留痕。使用登录会话认证（写操作需 CSRF 令牌）。",
    auth=django_auth,
    parser=CleanParser(),
    docs_url="/docs",
)
api.add_router("/", registry_router)
api.add_router("/", cases_router)
api.add_router("/", leads_router)
api.add_router("/interop", interop_router)
api.add_router("/", moves_router)
api.add_router("/", grid_router)
api.add_router("/", visits_router)
api.add_router("/", declarations_router)
api.add_router("/", assistance_catalogue_router)
api.add_router("/", assistance_plans_router)
api.add_router("/", assistance_departments_router)
api.add_router("/", followup_schedule_router)
api.add_router("/", followup_monthly_router)
api.add_router("/", followup_tickets_router)
api.add_router("/", followup_analysis_router)
install_error_handlers(api)
