"""Two people acting on the same problem at the same moment on PostgreSQL: one succeeds, the other is
refused, nothing is doubled (R-TRACK-05)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fangpin.audit.models import Event
from fangpin.followup import tickets
from fangpin.followup.models import Ticket

DAY = dt.date(2026, 5, 11)


def _race(calls) -> list[str]:
    barrier, results = threading.Barrier(len(calls)), []

    def run(call):
        from django.db import connections

        try:
            barrier.wait()
            call()
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_closes_and_opens_one_wins_R_TRACK_05(households, personas):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite has one writer at a time")
    h = households["a1"]
    data = {"dimension": "water", "description": "自来水管道冻裂，全家取水困难"}
    assert _race([lambda: tickets.open_ticket(personas["cadre_a"], h, data, today=DAY),
                  lambda: tickets.open_ticket(personas["township_officer"], h, data, today=DAY)]) == ["ok", "refused"]
    t = Ticket.objects.get(household=h)
    evidence = {"evidence": "已接通集中供水管网，入户试水正常", "version": t.version}
    assert _race([lambda: tickets.close_ticket(personas["cadre_a"], t, evidence, today=DAY),
                  lambda: tickets.close_ticket(personas["township_officer"], t, evidence, today=DAY)]) == ["ok", "refused"]
    t.refresh_from_db()
    assert t.status == "closed" and t.version == 2
    assert Event.objects.filter(action="ticket.close").count() == 1
    assert Event.objects.filter(action="ticket.open").count() == 1
