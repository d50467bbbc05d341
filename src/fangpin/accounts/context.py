"""Navigation by role, for the base template."""

from django.urls import NoReverseMatch, reverse

from .roles import Role

NAV = [
    # (label, url name, roles or None for all)
    ("首页", "home", None),
    ("农户信息", "registry:household_list", None),
    ("线索", "discovery:lead_list", None),
    ("识别程序", "cases:case_list", None),
    ("网格", "grid:index", None),
    ("走访排查", "followup:must_visit_list", None),
    ("帮扶方案", "assistance:plan_list", None),
    ("政策清单", "assistance:catalogue_home", None),
    ("数据导入", "interop:import_list", {Role.COUNTY_OFFICE, Role.ADMINISTRATOR}),
    ("迁移申请", "registry:move_list", {Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.ADMINISTRATOR}),
    ("部门帮扶", "assistance:department_list", {Role.DEPARTMENT_OFFICER, Role.COUNTY_OFFICE, Role.SUPERVISOR}),
    ("帮扶清单", "assistance:lists", {Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE}),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for label, name, roles in NAV:
        if roles is not None and user.role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": False})
    # One item is active: the one whose address is the longest prefix of the page's (the village lists live
    # under the department pages' address, the catalogue and the department pages under the plans').
    matching = [i for i in items if i["url"] != "/" and request.path.startswith(i["url"])]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items}
