"""Entering a year's official arrangement from a file (R-CFG-03, R-CFG-04, R-SEC-02)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fangpin.audit.models import Event
from fangpin.profiles.models import CalendarDay, CalendarYear
from fangpin.profiles.services import working_calendar

D = dt.date


def test_a_years_holidays_entered_from_a_file_are_audited_and_clear_the_warning_R_CFG_03(tmp_path):
    path = tmp_path / "2027.txt"
    path.write_text("# 2027年部分节假日安排\n2027-01-01 休 元旦\n\n2027-02-07 班 春节调休\n", encoding="utf-8")
    out = StringIO()
    call_command("enter_calendar", "2027", "--file", str(path), "--holiday", "2027-02-08:春节", "--complete",
                 "--note", "国办发明电", stdout=out)
    assert "录入3天" in out.getvalue() and "已标记为完整录入" in out.getvalue()
    assert CalendarDay.objects.get(date=D(2027, 1, 1)).is_workday is False
    assert CalendarDay.objects.get(date=D(2027, 2, 7)).note == "春节调休"
    assert CalendarYear.objects.get(year=2027).complete
    result = working_calendar().add_working_days(D(2026, 12, 28), 5)
    assert result.due == D(2027, 1, 5) and result.warnings == ()
    events = Event.objects.filter(action__startswith="calendar.")
    assert events.count() == 4 and {e.source for e in events} == {"command"}
    assert {e.actor_name for e in events} == {"系统"}


@pytest.mark.parametrize("line, message", [
    ("2027-13-01 休", "格式不正确"),
    ("2026-12-31 休", "不在 2027 年"),
    ("2027-01-01 加班", "应为“休”或“班”"),
    ("2027-01-01", "应为“日期 休/班 说明”"),
])
def test_a_bad_calendar_file_is_refused_naming_the_line_and_nothing_is_entered(tmp_path, line, message):
    path = tmp_path / "2027.txt"
    path.write_text("2027-01-01 休 元旦\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message) as err:
        call_command("enter_calendar", "2027", "--file", str(path), stdout=StringIO())
    assert "第2行" in str(err.value)
    assert not CalendarDay.objects.filter(date__year=2027).exists()
