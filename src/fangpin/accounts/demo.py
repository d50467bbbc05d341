"""Demo accounts: one user per role, bound to a sensible division of the demo county (R-SEC-01).

All share one well-known password; they exist only in demo databases built by ``build_demo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from fangpin.areas.models import Division, Level

from .models import User
from .roles import Role

DEMO_PASSWORD = "demo-pass-2026"
DEMO_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    level: int  # the division level the account is bound to
    department: str = ""


DEMO_ACCOUNTS = [
    DemoAccount("county", Role.COUNTY_OFFICE, "周振华", Level.COUNTY),
    DemoAccount("township", Role.TOWNSHIP_STAFF, "孙立新", Level.TOWNSHIP),
    DemoAccount("cadre", Role.VILLAGE_CADRE, "蔡永胜", Level.VILLAGE),
    DemoAccount("grid", Role.GRID_WORKER, "任秀云", Level.GRID),
    DemoAccount("contact", Role.ASSISTANCE_CONTACT, "马志强", Level.VILLAGE),
    DemoAccount("yibao", Role.DEPARTMENT_OFFICER, "李静（医保局）", Level.COUNTY, department="医保局"),
    DemoAccount("supervisor", Role.SUPERVISOR, "吴建国（督导组）", Level.COUNTY),
    DemoAccount("admin", Role.ADMINISTRATOR, "系统管理员", Level.COUNTY),
]


def demo_divisions(county: Division) -> dict[int, Division]:
    """The county, its first township, that township's first village and that village's first grid."""
    chosen = {Level.COUNTY: county}
    parent = county
    for level in (Level.TOWNSHIP, Level.VILLAGE, Level.GROUP, Level.GRID):
        child = Division.objects.within(parent.code).filter(level=level).order_by("code").first()
        if child is None:
            break
        chosen[level] = parent = child
    return chosen


@transaction.atomic
def ensure_demo_users(county: Division) -> list[User]:
    """Create or update the demo accounts for ``county`` (idempotent).

    Role, name and division are reset every time; the password only when the account is new, so
    a password someone changed stays changed.
    """
    divisions = demo_divisions(county)
    hashed = None  # one hash for all new accounts: the password is the same well-known one anyway
    users = []
    for acc in DEMO_ACCOUNTS:
        division = divisions.get(acc.level)
        if division is None:  # a county without grids yet: bind to the lowest level there is
            division = divisions[max(divisions)]
        admin = acc.role == Role.ADMINISTRATOR
        user = User.objects.filter(username=acc.username).first() or User(username=acc.username)
        user.role = acc.role
        user.display_name = acc.display_name
        user.division = division
        user.department = acc.department
        user.is_staff = admin
        user.is_superuser = admin
        user.is_active = True
        if not user.pk or not user.has_usable_password():
            hashed = hashed or make_password(DEMO_PASSWORD)
            user.password = hashed
        user.save()
        users.append(user)
    return users


def demo_users() -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).select_related("division")}
    return [found[a.username] for a in DEMO_ACCOUNTS if a.username in found]
