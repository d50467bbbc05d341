"""The lead clocks' profile values are checked when a profile loads (R-DISC-03, R-CFG-01)."""

from pathlib import Path

import pytest
from django.conf import settings

from fangpin.policy.profiles import ProfileError, load_profile_text

DEFAULTS = (Path(settings.PROFILES_DIR) / "_defaults.toml").read_text(encoding="utf-8")
OWN = 'key = "leadtest"\nname = "线索县"\ncounty_code = "340696"\n'


def test_every_county_profile_has_the_lead_clock_values_R_DISC_03():
    profile = load_profile_text(OWN, DEFAULTS)
    assert profile.param("leads.day_unit") == "calendar_days"
    assert profile.param("leads.opens_procedure") == "identification"
    assert profile.param("deadlines.lead_verification_days") == 1
    assert profile.param("deadlines.serious_risk_report_working_days") == 3


@pytest.mark.parametrize(("extra", "message"), [
    ('[leads]\nday_unit = "hours"\n', "leads.day_unit 只能是"),
    ('[leads]\nopens_procedure = "removal"\n', "没有定义"),
    ('[leads]\nnew_household_category = "marginal_at_risk"\n', "非监测对象的户类别"),
    ('[leads]\nday_unit = 1\n', "leads.day_unit 应为 str"),
])
def test_a_profile_with_bad_lead_values_is_refused_with_a_reason_R_DISC_03(extra, message):
    with pytest.raises(ProfileError, match=message):
        load_profile_text(OWN + extra, DEFAULTS)
