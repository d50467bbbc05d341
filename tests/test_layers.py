"""The layer contracts hold (R-SEC-01: one door, enforced by a machine; docs/decisions/0007-layer-contracts.md).

``make lint`` runs the same check; running it here too means a plain ``pytest`` run catches an app
that reaches past the door (say, accounts importing the registry, or policy importing Django).
"""

import subprocess
import sys
from pathlib import Path

from django.db.models import CharField

ROOT = Path(__file__).resolve().parent.parent


def test_layer_contracts_hold_R_SEC_01():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_prefix_lookup_is_registered_by_the_areas_app_R_SEC_01():
    """Every scoped query uses ``__prefix``; it is registered as Django starts, from the lowest app that needs it."""
    lookup = CharField.get_lookups()["prefix"]
    assert lookup.__module__ == "fangpin.areas.lookups"
