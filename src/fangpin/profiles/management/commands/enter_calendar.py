"""Enter a year's official holiday arrangement (R-CFG-03, R-CFG-04).

    python -m fangpin.manage enter_calendar 2027 --file 2027.txt --complete --note "国办发明电〔2026〕号"
    python -m fangpin.manage enter_calendar 2027 --holiday 2027-01-01:元旦 --workday 2027-02-07:春节调休

The file has one day per line: a date, ``休`` (a day off on a weekday) or ``班`` (a working weekend
day), and an optional note; blank lines and lines starting with ``#`` are ignored::

    2027-01-01 休 元旦
    2027-02-07 班 春节调休

The days are entered through the same audited service as the back office, in one transaction; every
stored deadline they touch is recomputed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangpin.audit.context import using_source
from fangpin.profiles.services import change_calendar

OFF_WORDS = {"休", "休息", "假", "放假", "off", "holiday"}
WORK_WORDS = {"班", "上班", "work", "workday"}


def _date(text: str, year: int, where: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{where}：日期“{text}”格式不正确，应为 年-月-日，如 {year}-01-01")
    if day.year != year:
        raise CommandError(f"{where}：日期 {day:%Y-%m-%d} 不在 {year} 年")
    return day


def parse_lines(lines, year: int, source: str = "文件") -> dict[dt.date, tuple[bool, str]]:
    days: dict[dt.date, tuple[bool, str]] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}第{number}行"
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            raise CommandError(f"{where}：应为“日期 休/班 说明”，收到“{line}”")
        day = _date(parts[0], year, where)
        word = parts[1].lower()
        if word in OFF_WORDS:
            is_workday = False
        elif word in WORK_WORDS:
            is_workday = True
        else:
            raise CommandError(f"{where}：第二项应为“休”或“班”，收到“{parts[1]}”")
        if day in days:
            raise CommandError(f"{where}：日期 {day:%Y-%m-%d} 重复")
        days[day] = (is_workday, parts[2].strip() if len(parts) > 2 else ("法定节假日" if not is_workday else "调休上班"))
    return days


class Command(BaseCommand):
    help = "录入某一年的官方节假日与调休安排（经审计的日历服务，自动重算受影响的办理期限）"

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--file", help="每行：日期 休/班 说明")
        parser.add_argument("--holiday", action="append", default=[], help="休息日，可带说明：2027-01-01:元旦")
        parser.add_argument("--workday", action="append", default=[], help="调休上班日：2027-02-07:春节调休")
        parser.add_argument("--complete", action="store_true", help="该年官方安排已完整录入（期限提示随之消失）")
        parser.add_argument("--note", default="", help="年份说明，如通知文号")

    def handle(self, *args, **opts):
        year = opts["year"]
        lines = []
        if opts["file"]:
            path = Path(opts["file"])
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                raise CommandError(f"无法读取日历文件 {path.name}（应为 UTF-8 文本文件）")
        days = parse_lines(lines, year)
        for flag, word in (("holiday", "休"), ("workday", "班")):
            extra = [f"{item.partition(':')[0]} {word} {item.partition(':')[2]}".strip() for item in opts[flag]]
            for day, value in parse_lines(extra, year, f"--{flag} 参数").items():
                if day in days:
                    raise CommandError(f"日期 {day:%Y-%m-%d} 重复")
                days[day] = value
        if not days and not opts["complete"]:
            raise CommandError("没有要录入的日期：请给出 --file、--holiday 或 --workday，或用 --complete 标记该年")
        years = {year: (True, opts["note"] or "管理员录入")} if opts["complete"] else {}
        try:
            with using_source("command", f"enter_calendar {year}"):
                result = change_calendar(None, days=days, years=years)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        recomputed = sum(result.values())
        text = f"{year}年：录入{len(days)}天"
        if opts["complete"]:
            text += "，已标记为完整录入"
        self.stdout.write(text + f"；重新计算了{recomputed}项受影响的办理期限")
