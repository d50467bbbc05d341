"""Grids and grid workers over the API (R-GRID-01 … R-GRID-06): the same services, scoping and Chinese errors."""

from __future__ import annotations

import json

from django.test import Client

from fangpin.areas.models import GridWorker
from fangpin.registry.models import Household

from .conftest import fill


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_grid_worker_reads_only_their_grid_over_the_api_R_GRID_06(county, households, personas, login):
    client = login(personas["grid_worker"])
    own = client.get(f"/api/grids/{county['grid_a1'].pk}")
    assert own.status_code == 200 and own.json()["households"] == 1
    other = client.get(f"/api/grids/{county['grid_a2'].pk}")
    assert other.status_code == 404 and other.json()["detail"] == "对象不存在或不在您的管辖范围内"
    assert client.get(f"/api/villages/{county['va'].pk}/grids").status_code == 404
    assert client.get("/api/grid-report", {"division": county["va"].code}).status_code == 404


def test_split_and_move_over_the_api_R_GRID_02(county, households, personas, login):
    fill(county["grid_a1"], 99)
    client = login(personas["cadre_a"])
    refused = post(client, f"/api/villager-groups/{county['ga1'].pk}/split", {"grids": 1})
    assert refused.status_code == 422 and "超过本县上限70户" in refused.json()["errors"]["grids"][0]
    done = post(client, f"/api/villager-groups/{county['ga1'].pk}/split", {"grids": 3})
    assert [g["name"] for g in done.json()] == ["第一村民小组第一网格", "第一村民小组第二网格", "第一村民小组第三网格"]
    assert [g["households"] for g in done.json()] == [34, 33, 33]
    moved = post(client, f"/api/grids/{county['grid_a2'].pk}/households", {"household_ids": [households["a1"].pk]})
    assert moved.status_code == 200 and moved.json() == {"moved": 1, "grid_households": 2}
    bad = post(client, f"/api/grids/{county['grid_a2'].pk}/households", {"household_ids": ["一"]})
    assert bad.status_code == 422 and "household_ids" in bad.json()["detail"]
    stranger = Client()
    stranger.force_login(personas["cadre_b"])
    outsider = post(stranger, f"/api/grids/{county['grid_a2'].pk}/households",
                    {"household_ids": [households["b1"].pk]})
    assert outsider.status_code == 404
    assert Household.objects.get(pk=households["b1"].pk).grid == county["grid_b1"]


def test_grid_workers_over_the_api_R_GRID_03(county, personas, login):
    client = login(personas["cadre_a"])
    body = {"unit_code": county["va"].code, "name": "蔡德明", "phone": "13955610001", "position": "group_worker",
            "grid": county["grid_a1"].code, "is_group_leader": True}
    bad = post(client, "/api/grid-workers", {**body, "phone": "139"})
    assert bad.status_code == 422 and "联系电话格式不正确" in bad.json()["errors"]["phone"][0]
    assert not GridWorker.objects.exists()
    stranger = Client()
    stranger.force_login(personas["cadre_b"])
    outside = post(stranger, "/api/grid-workers", body)
    assert outside.status_code == 404 and not GridWorker.objects.exists()
    created = post(client, "/api/grid-workers", body)
    assert created.status_code == 201 and created.json()["position_name"] == "村组网格员"
    wid = created.json()["id"]
    patched = client.patch(f"/api/grid-workers/{wid}", json.dumps({"is_party_member": True}), content_type="application/json")
    assert patched.json()["is_party_member"] and patched.json()["grid_code"] == county["grid_a1"].code
    report = client.get("/api/grid-report", {"division": county["va"].code}).json()
    assert report["grids"] == 2 and report["households_hard_max"] == 70
    assert [g["name"] for g in report["grids_without_worker"]] == ["第二村民小组第一网格"]
    masked = login(personas["supervisor"]).get(f"/api/grid-workers/{wid}")
    assert masked.json()["phone"] == "139****0001"
