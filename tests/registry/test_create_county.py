"""A real county's division is created by a command, audited, with its loaded profile (R-SEC-02)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from fangpin.areas.models import Division, Level
from fangpin.audit.models import Event

pytestmark = pytest.mark.django_db


def test_create_county_makes_an_audited_county_bound_to_its_profile_R_SEC_02(capsys):
    call_command("create_county", "500230", "丰都县")
    county = Division.objects.get(code="500230")
    assert (county.level, county.name, county.parent_id, county.profile_key) == (Level.COUNTY, "丰都县", None, "fengdu")
    event = Event.objects.get(action="division.create", object_id=str(county.pk))
    assert (event.source, event.source_ref) == ("command", "create_county 500230")
    assert "已新建 丰都县（500230）" in capsys.readouterr().out


@pytest.mark.parametrize(("code", "name", "message"), [
    ("50023", "丰都县", "县级区划代码应为6位数字"),
    ("50023x", "丰都县", "县级区划代码应为6位数字"),
    ("341221", "临泉县", "区划 341221 没有载入县级政策画像"),
    ("500230", "  ", "名称不能为空"),
])
def test_create_county_refuses_bad_input_and_writes_nothing_R_SEC_02(code, name, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_county", code, name)
    assert not Division.objects.filter(level=Level.COUNTY).exists()
    assert not Event.objects.filter(action="division.create").exists()


def test_create_county_refuses_a_county_that_exists_R_SEC_02():
    call_command("create_county", "500230", "丰都县")
    with pytest.raises(CommandError, match="区划代码 500230 已存在"):
        call_command("create_county", "500230", "丰都县")
    assert Division.objects.filter(code="500230").count() == 1
