"""Export back in the national layouts; importing our own export changes nothing (R-INT-03)."""

import pytest

from fangpin.interop import services
from fangpin.interop.export import export_county
from fangpin.interop.layouts import layouts
from fangpin.interop.models import ImportStatus
from fangpin.interop.reader import read_table
from fangpin.registry.models import Household, Member

from .test_import import _apply, _check, _monitored


@pytest.fixture
def rich_county(county, households, xlsx, family):
    rows = _monitored(family(), **{"风险是否已消除": "是", "风险消除方式": "自然消除", "消除监测时间": "202501",
                                   "风险消除后工资性收入": "30000", "风险消除后家庭纯收入": "30000"})
    rows[0]["证件号码"] = rows[0]["证件号码"] + "42"
    rows[0]["证件类型"] = "残疾人证"
    rows[0]["享受低保政策情况"] = "城市低保"
    rows += family("3406211002019002", "王大山")
    job = _apply(_check(county, xlsx(rows)))
    assert job.status == ImportStatus.APPLIED, job.error
    return county


@pytest.mark.parametrize("layout", sorted(layouts()))
@pytest.mark.parametrize("national_style", [False, True])
def test_importing_our_own_export_changes_nothing_R_INT_03(rich_county, tmp_path, layout, national_style):
    path = tmp_path / f"{layout}.xlsx"
    written = export_county(rich_county["county"], layout, str(path), national_style=national_style)
    expected = Household.objects.count() if layouts()[layout].grain == "household" else Member.objects.filter(active=True).count()
    assert written == expected
    table = read_table(path)
    assert table.header_row == layouts()[layout].title_rows + 1
    assert [h.split("#")[0] for h in table.headers] == list(layouts()[layout].columns)
    job = _check(rich_county, path)
    assert job.status == ImportStatus.CHECKED, job.error
    c = job.counts
    assert c["households"]["create"] == c["households"]["update"] == c["households"]["refused"] == 0, list(job.issues.values_list("row", "column", "message"))
    assert c["members"]["create"] == c["members"]["update"] == 0
    assert c["incomes"] == {"create": 0, "update": 0} and c["measures"] == {"create": 0, "update": 0, "delete": 0}
    assert job.refused_rows == 0


def test_id_numbers_are_text_cells_and_quirks_are_written_in_national_style_R_INT_03(rich_county, tmp_path):
    import openpyxl

    path = tmp_path / "ff.xlsx"
    export_county(rich_county["county"], "full_field", str(path), national_style=True)
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[2]]
    first = [c.value for c in ws[3]]
    row = dict(zip(header, first, strict=False))
    assert isinstance(row["证件号码"], str) and row["性别"] in ("1", "2")
    assert isinstance(row["户联系电话"], int | float) or row["户联系电话"] is None


def test_an_export_job_writes_a_downloadable_file_R_INT_03(rich_county, personas):
    job = services.start_export(personas["county_officer"], rich_county["county"], "monitoring", enqueue=False)
    job = services.run_export(job.pk)
    assert job.status == "done" and job.row_count == Member.objects.filter(active=True).count()
    assert job.file.path.endswith(".xlsx")

