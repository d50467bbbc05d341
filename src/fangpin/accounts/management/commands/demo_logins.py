import unicodedata

from django.core.management.base import BaseCommand

from fangpin.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_URL, demo_users
from fangpin.accounts.roles import Role


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _place(division) -> str:
    """The division's path; a grid's name already starts with its group's name (R-GRID-02)."""
    names: list[str] = []
    for d in division.path():
        if names and d.name.startswith(names[-1]):
            names[-1] = d.name
        else:
            names.append(d.name)
    return "".join(names)


class Command(BaseCommand):
    help = "列出演示账号：角色、用户名、密码、所属区划和登录地址"

    def handle(self, *args, **opts):
        users = demo_users()
        if not users:
            self.stdout.write("尚未生成演示账号，请先运行：python -m fangpin.manage build_demo")
            return
        departments = {a.username: a.department for a in DEMO_ACCOUNTS}
        rows = [("角色", "姓名", "用户名", "密码", "所属区划")]
        checked: dict[str, bool] = {}  # accounts created together share one hash: check it once
        for u in users:
            role = Role(u.role).label + (f"（{departments[u.username]}）" if departments.get(u.username) else "")
            place = _place(u.division) if u.division_id else "（未绑定区划）"
            if u.password not in checked:
                checked[u.password] = u.check_password(DEMO_PASSWORD)
            check = DEMO_PASSWORD if checked[u.password] else "（已修改）"
            rows.append((role, u.display_name, u.username, check, place))
        widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
        self.stdout.write(f"演示账号（登录地址 {DEMO_URL}）")
        for i, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write(f"\n打开 {DEMO_URL} ，用上面任一用户名和密码 {DEMO_PASSWORD} 登录。")
