"""Set-based writes used by the import: index rebuild around a large load, updates by primary key."""

import pytest
from django.db import IntegrityError, connection, transaction

from fangpin.assistance.models import Measure
from fangpin.interop import bulk
from fangpin.registry.bulk import BulkWriter


def _indexes(table):
    with connection.cursor() as cur:
        return sorted(c["columns"].__repr__() + str(c["unique"]) for c in connection.introspection.get_constraints(cur, table).values() if c["index"])


def _foreign_keys(table):
    with connection.cursor() as cur:
        return sorted((name, tuple(c["columns"]), c["foreign_key"]) for name, c in connection.introspection.get_constraints(cur, table).items() if c["foreign_key"])


def test_indexes_are_rebuilt_around_a_large_load_R_INT_02(households):
    table = Measure._meta.db_table
    before, keys = _indexes(table), _foreign_keys(table)
    assert keys  # the household foreign key
    rows = [(h.pk, f"类别{i}", "其他", "[]", "national") for i, h in enumerate(households.values())]
    with transaction.atomic():
        with bulk.indexes_rebuilt(Measure, len(rows), threshold=0):
            BulkWriter(Measure, ["household_id", "category", "content", "items", "source"]).write(rows)
    assert _indexes(table) == before and _foreign_keys(table) == keys
    assert Measure.objects.count() == len(rows)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="foreign keys are dropped for a load on PostgreSQL only (SQLite checks them at commit)")
def test_a_broken_reference_in_a_rebuilt_load_is_still_refused_R_INT_02(households):
    """The foreign keys dropped for the load are checked again for every row when they come back."""
    table = Measure._meta.db_table
    keys = _foreign_keys(table)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with bulk.indexes_rebuilt(Measure, 1, threshold=0):
                BulkWriter(Measure, ["household_id", "category", "content", "items", "source"]).write([(987654321, "产业帮扶", "其他", "[]", "national")])
    assert _foreign_keys(table) == keys and not Measure.objects.filter(household_id=987654321).exists()


def test_update_rows_changes_only_the_given_rows_R_INT_02(households):
    h = households["a1"]
    m1 = Measure.objects.create(household=h, category="产业帮扶", content="其他", source="national")
    m2 = Measure.objects.create(household=h, category="就业帮扶", content="技能培训", source="national")
    assert bulk.update_rows(Measure, ["content", "items"], [(m1.pk, "劳务输出", ["劳务输出"])]) == 1
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert (m1.content, m1.items, m2.content) == ("劳务输出", ["劳务输出"], "技能培训")
