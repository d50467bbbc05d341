"""County policy profiles (R-CFG-01, R-CFG-02, R-CFG-02a)."""

from pathlib import Path

import pytest
from django.conf import settings

from fangpin.policy.profiles import ProfileError, load_profile_text, load_profiles_dir
from fangpin.profiles.models import PolicyProfile
from fangpin.profiles.services import load_profiles, profile_by_key, profile_for_county

DEFAULTS = (Path(settings.PROFILES_DIR) / "_defaults.toml").read_text(encoding="utf-8")


def test_each_source_county_has_a_profile_with_its_documented_values_R_CFG_02():
    keys = {p.key for p in load_profiles_dir(settings.PROFILES_DIR)}
    assert keys >= {"suixi", "fengdu", "jinan", "mucang", "suyuan"}
    suixi = profile_by_key("suixi")
    assert suixi.param("notices.village_days") == 7 and suixi.param("notices.township_days") == 7
    assert suixi.for_year("income.monitoring_line", 2021) == 6000
    assert suixi.for_year("income.dibao_monthly", 2021) == 641
    assert suixi.param("exit.cadence") == "half_yearly"
    fengdu = profile_by_key("fengdu")
    assert fengdu.param("exit.cadence") == "monthly"
    assert fengdu.param("grid.monitor_households_max") == 50
    assert fengdu.param("assistance.contact_max_households") == 2
    jinan = profile_by_key("jinan")
    assert (jinan.param("grid.households_min"), jinan.param("grid.households_max"), jinan.param("grid.households_hard_max")) == (20, 40, 70)
    assert profile_for_county("340621100201").key == "suixi"


def test_a_changed_profile_becomes_a_new_version_and_old_versions_are_kept_R_CFG_01(tmp_path):
    (tmp_path / "_defaults.toml").write_text(DEFAULTS, encoding="utf-8")
    own = 'key = "testcounty"\nname = "测试县"\ncounty_code = "340699"\n'
    (tmp_path / "testcounty.toml").write_text(own, encoding="utf-8")
    load_profiles(tmp_path)
    load_profiles(tmp_path)  # unchanged: no new version
    assert PolicyProfile.objects.filter(key="testcounty").count() == 1
    (tmp_path / "testcounty.toml").write_text(own + "[notices]\nvillage_days = 9\n", encoding="utf-8")
    load_profiles(tmp_path)
    versions = list(PolicyProfile.objects.filter(key="testcounty").order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].data["notices"]["village_days"] == 5
    assert versions[1].data["notices"]["village_days"] == 9
    assert profile_for_county("340699").param("notices.village_days") == 9


def test_a_county_can_switch_to_the_unified_category_by_data_R_CFG_02a():
    own = (
        'key = "unified"\nname = "统一类别县"\ncounty_code = "340698"\n'
        '[categories]\nhousehold = [ { code = "ordinary", name = "一般农户", monitored = false },'
        ' { code = "formerly_poor", name = "脱贫户", monitored = false },'
        ' { code = "prevention_target", name = "防止返贫致贫对象", monitored = true } ]\n'
    )
    profile = load_profile_text(own, DEFAULTS)
    assert profile.monitored_categories() == ["prevention_target"]
    assert profile.category_names()["prevention_target"] == "防止返贫致贫对象"


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[deliberation]\npresence_fraction = "3/2"\n', "0到1之间"),
        ('[exit]\ncadence = "weekly"\n', "cadence"),
        ('[grid]\nhouseholds_min = 50\nhouseholds_max = 40\n', "网格户数"),
        ('[notices]\nvillage_days = "七"\n', "notices.village_days"),
    ],
)
def test_a_malformed_profile_is_refused_with_a_reason_R_CFG_01(extra, message):
    own = 'key = "bad"\nname = "坏县"\ncounty_code = "340697"\n' + extra
    with pytest.raises(ProfileError, match=message):
        load_profile_text(own, DEFAULTS)


def test_a_snapshot_records_the_values_a_decision_used_R_CFG_01():
    snap = profile_by_key("suixi").snapshot("deliberation.presence_fraction", "notices.village_days")
    assert snap == {"profile": "suixi", "version": 1, "deliberation.presence_fraction": "2/3", "notices.village_days": 7}
