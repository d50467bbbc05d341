"""Roles and what each may do (R-SEC-01, R-SEC-03). Declared once; tested from the declaration."""

from dataclasses import dataclass

from django.db import models


class Role(models.TextChoices):
    COUNTY_OFFICE = "county_office", "县乡村振兴局"
    TOWNSHIP_STAFF = "township_staff", "乡镇工作人员"
    VILLAGE_CADRE = "village_cadre", "村干部"
    GRID_WORKER = "grid_worker", "网格员"
    ASSISTANCE_CONTACT = "assistance_contact", "帮扶联系人"
    DEPARTMENT_OFFICER = "department_officer", "行业部门"
    SUPERVISOR = "supervisor", "督导（只读）"
    ADMINISTRATOR = "administrator", "系统管理员"


@dataclass(frozen=True)
class Capabilities:
    write_registry: bool
    full_id_number: bool
    full_phone: bool
    export: bool
    admin_site: bool = False
    # Acts on moves of people between areas (R-SEC-04): the county office of either side.
    handle_moves: bool = False


CAPABILITIES: dict[str, Capabilities] = {
    Role.COUNTY_OFFICE: Capabilities(
        write_registry=True, full_id_number=True, full_phone=True, export=True, handle_moves=True
    ),
    Role.TOWNSHIP_STAFF: Capabilities(write_registry=True, full_id_number=True, full_phone=True, export=True),
    Role.VILLAGE_CADRE: Capabilities(write_registry=True, full_id_number=True, full_phone=True, export=True),
    Role.GRID_WORKER: Capabilities(write_registry=False, full_id_number=False, full_phone=True, export=False),
    Role.ASSISTANCE_CONTACT: Capabilities(write_registry=False, full_id_number=False, full_phone=True, export=False),
    Role.DEPARTMENT_OFFICER: Capabilities(write_registry=False, full_id_number=False, full_phone=False, export=True),
    Role.SUPERVISOR: Capabilities(write_registry=False, full_id_number=False, full_phone=False, export=True),
    Role.ADMINISTRATOR: Capabilities(
        write_registry=True, full_id_number=True, full_phone=True, export=True, admin_site=True, handle_moves=True
    ),
}

# The division level each role is normally bound to (used by forms and the demo).
TYPICAL_LEVEL = {
    Role.COUNTY_OFFICE: 1,
    Role.TOWNSHIP_STAFF: 2,
    Role.VILLAGE_CADRE: 3,
    Role.GRID_WORKER: 5,
    Role.ASSISTANCE_CONTACT: 3,
    Role.DEPARTMENT_OFFICER: 1,
    Role.SUPERVISOR: 1,
    Role.ADMINISTRATOR: 1,
}
