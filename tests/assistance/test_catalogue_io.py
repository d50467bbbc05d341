"""附件1 import and export of policy lists (R-AID-01): the seed's sample row imports, a dry run shows row
issues and writes nothing, the confirmation writes exactly what was shown, bad files are refused with
the column or row named and nothing saved; the export is the 附件1 layout and imports again."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.accounts.roles import Role
from fangpin.assistance import catalogue, catalogue_io
from fangpin.assistance.models import Handler, MeasureKind, Policy, PolicyList
from fangpin.audit.models import Event
from tests.factories import user

pytestmark = pytest.mark.django_db

YEAR = 2026
JAN = dt.date(2026, 1, 20)
HEADER = ["帮扶类型", "帮扶政策", "帮扶政策具体内容", "适用人群", "适用人群条件", "申报程序（相关资料）", "部门、联系人及电话"]
# The sample row of 000 附件1, as the seed document gives it.
SEED_ROW = ["就业帮扶", "1、以工代赈", "1、引导有劳动能力的监测对象参与以工代赈项目建设，提高收入；",
            "建档立卡贫困人口、易返贫致贫户、其他低收入人群", "有劳动能力和就业意愿的因疫情不能外出务工人员", "",
            "部门：发改局 联系人：X 办公电话：X 手机号码：X"]


def _xlsx(tmp_path, rows, *, title="202X年涞源县XX（部门）防返贫帮扶政策清单（参照）", header=HEADER, name="清单.xlsx"):
    path = tmp_path / name
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    r = 0
    if title:
        ws.write_string(0, 0, title)
        r = 2  # a blank row under the title, as in the seed
    for c, h in enumerate(header):
        ws.write_string(r, c, h)
    for i, row in enumerate(rows, start=r + 1):
        for c, value in enumerate(row):
            if value != "":
                ws.write_string(i, c, value)
    wb.close()
    return path


@pytest.fixture
def fgj(county):
    return user("fagaiju", Role.DEPARTMENT_OFFICER, county["county"], display_name="发改局李科长", department="发改局")


@pytest.fixture
def dept_list(fgj):
    return catalogue.open_department_list(fgj, YEAR, today=JAN).obj


def _state():
    return (list(PolicyList.objects.order_by("pk").values()), list(Policy.objects.order_by("pk").values()),
            Event.objects.count())


def test_the_seed_sample_row_imports_R_AID_01(tmp_path, fgj, dept_list):
    path = _xlsx(tmp_path, [SEED_ROW])
    before = _state()
    preview = catalogue_io.preview(dept_list, path, "附件1.xlsx")
    assert _state() == before  # the dry run writes nothing
    assert preview.can_apply and not preview.refused
    (row,) = preview.rows
    assert row["row"] == 4 and row["name"] == "以工代赈" and row["type"] == "就业帮扶"
    assert (row["department"], row["contact_name"], row["office_phone"], row["mobile"]) == ("发改局", "", "", "")
    assert row["kind"] == MeasureKind.DEVELOPMENTAL and row["handler"] == Handler.TOWNSHIP
    assert row["conditions"]["labour"] == ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力"]
    assert "categories" not in row["conditions"]  # "其他低收入人群": no category restriction
    messages = [i["message"] for i in preview.warnings]
    assert any("“202X年”是模板占位" in m for m in messages)
    assert any("第4行“部门、联系人及电话”中联系人、办公电话、手机号码为占位符" in m for m in messages)
    result = catalogue_io.apply(fgj, dept_list, path, "附件1.xlsx", digest=preview.digest)
    p = dept_list.policies.get()
    assert (p.name, p.department, p.content) == ("以工代赈", "发改局", SEED_ROW[2])
    assert p.conditions_text == SEED_ROW[4] and "导入1条" in result.message
    event = Event.objects.get(action="policy_list.import")
    assert event.after["imported"] == 1 and event.after["file"] == "附件1.xlsx"


def test_contact_cell_variants_R_AID_01():
    assert catalogue_io.parse_contact("部门：医保局 联系人：赵芳 办公电话：0561-6023456 手机号码：13955612002") == {
        "department": "医保局", "contact_name": "赵芳", "office_phone": "0561-6023456", "mobile": "13955612002",
        "placeholders": []}
    assert catalogue_io.parse_contact("民政局 王刚 0561-6034567 13955612003") == {
        "department": "民政局", "contact_name": "王刚", "office_phone": "0561-6034567", "mobile": "13955612003",
        "placeholders": []}
    assert catalogue_io.strip_ordinal("（二）雨露计划") == "雨露计划"
    assert catalogue_io.strip_ordinal("12. 小额信贷") == "小额信贷"
    assert catalogue_io.strip_ordinal("三、危房改造") == "危房改造"
    assert catalogue_io.strip_ordinal("2025年度稳岗补贴") == "2025年度稳岗补贴"


def test_missing_required_columns_are_named_and_nothing_is_saved_R_AID_01(tmp_path, fgj, dept_list):
    path = _xlsx(tmp_path, [["就业帮扶", "以工代赈"]], header=["帮扶类型", "帮扶政策", "适用人群"])
    before = _state()
    with pytest.raises(ValidationError) as exc:
        catalogue_io.preview(dept_list, path)
    message = exc.value.message_dict["file"][0]
    assert "文件缺少必需的列：“帮扶政策具体内容”（表头在第3行）" in message and "未导入任何数据" in message
    with pytest.raises(ValidationError):
        catalogue_io.apply(fgj, dept_list, path, digest="x")
    assert _state() == before


def test_not_a_policy_list_is_refused_R_AID_01(tmp_path, dept_list):
    path = _xlsx(tmp_path, [["张三", "340621"]], header=["姓名", "证件号码"])
    with pytest.raises(ValidationError, match="没有找到表头"):
        catalogue_io.preview(dept_list, path)
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationError, match="文件无法读取"):
        catalogue_io.preview(dept_list, bad)


def test_a_title_year_other_than_the_lists_is_refused_R_AID_01(tmp_path, fgj, dept_list):
    path = _xlsx(tmp_path, [SEED_ROW], title="2025年濉溪县发改局防返贫帮扶政策清单")
    before = _state()
    preview = catalogue_io.preview(dept_list, path)
    assert not preview.can_apply
    assert preview.refused == [{"level": "refused", "row": 1, "column": "标题",
                                "message": "第1行标题中的年度为2025年，与清单年度2026年不一致：请导入2026年的清单"}]
    with pytest.raises(ValidationError, match="未导入任何数据"):
        catalogue_io.apply(fgj, dept_list, path, digest=preview.digest)
    assert _state() == before


def test_a_bad_year_column_names_row_and_column_R_AID_01(tmp_path, dept_list):
    path = _xlsx(tmp_path, [[*SEED_ROW, "2035"]], title="", header=[*HEADER, "年度"])
    preview = catalogue_io.preview(dept_list, path)
    assert [i["message"] for i in preview.refused] == ["第2行“年度”为“2035”，应为清单年度2026"]


def test_row_issues_name_row_and_column_and_nothing_is_written_R_AID_01(tmp_path, fgj, dept_list):
    rows = [
        ["就业帮扶", "1、以工代赈", "参与项目建设", "", "", "", "部门：发改局 联系人：张明 办公电话：0561-6012345"],
        ["", "2、技能培训", "", "", "", "", ""],  # type and contact from the merged cells above; no content
        ["产业帮扶", "3、产业奖补", "发展特色种养业给予奖补", "", "", "", "部门：医保局 手机号码：1395561"],
    ]
    path = _xlsx(tmp_path, rows)
    before = _state()
    preview = catalogue_io.preview(dept_list, path)
    assert [(i["row"], i["column"]) for i in preview.refused] == [
        (5, "帮扶政策具体内容"), (6, "部门、联系人及电话"), (6, "部门、联系人及电话")]
    messages = " ".join(i["message"] for i in preview.refused)
    assert "第5行“帮扶政策具体内容”：帮扶政策具体内容不能为空" in messages
    assert "只能包含本部门（发改局）的政策" in messages and "手机号码格式不正确" in messages
    assert [r["name"] for r in preview.rows] == ["以工代赈"]
    with pytest.raises(ValidationError, match="3处问题"):
        catalogue_io.apply(fgj, dept_list, path, digest=preview.digest)
    assert _state() == before


def test_the_confirmation_writes_what_the_preview_showed_or_nothing_R_AID_01(tmp_path, fgj, dept_list):
    path = _xlsx(tmp_path, [SEED_ROW])
    preview = catalogue_io.preview(dept_list, path)
    # The list changed after the dry run: the confirmed preview is no longer what would be written.
    catalogue.save_policy(fgj, dept_list, {"type": "就业帮扶", "name": "稳岗补贴", "content": "对吸纳监测对象就业的企业给予补贴"})
    before = _state()
    with pytest.raises(ValidationError, match="数据已在预检后发生变化"):
        catalogue_io.apply(fgj, dept_list, path, digest=preview.digest)
    assert _state() == before
    again = catalogue_io.preview(dept_list, path, replace=True)
    catalogue_io.apply(fgj, dept_list, path, digest=again.digest, replace=True)
    assert list(dept_list.policies.values_list("name", flat=True)) == ["以工代赈"]


def test_only_the_lists_own_department_imports_R_AID_01(tmp_path, personas, dept_list):
    path = _xlsx(tmp_path, [SEED_ROW])
    preview = catalogue_io.preview(dept_list, path)
    before = _state()
    with pytest.raises(PermissionDenied, match="只能修改本部门（医保局）"):
        catalogue_io.apply(personas["department"], dept_list, path, digest=preview.digest)
    with pytest.raises(PermissionDenied):
        catalogue_io.apply(personas["county_officer"], dept_list, path, digest=preview.digest)
    assert _state() == before


def test_gbk_csv_imports_R_AID_01(tmp_path, fgj, dept_list):
    text = "2026年濉溪县发改局防返贫帮扶政策清单\n" + ",".join(HEADER) + "\n" + ",".join(
        ["就业帮扶", "1、以工代赈", "参与以工代赈项目建设", "监测对象", "有劳动能力", "本人申请，乡镇审核后报县发改局审批",
         "部门：发改局 联系人：张明 办公电话：0561-6012345 手机号码：13955612001"]) + "\n"
    path = tmp_path / "清单.csv"
    path.write_bytes(text.encode("gbk"))
    preview = catalogue_io.preview(dept_list, path)
    assert not preview.issues
    (row,) = preview.rows
    assert (row["contact_name"], row["office_phone"], row["mobile"], row["handler"]) == (
        "张明", "0561-6012345", "13955612001", Handler.DEPARTMENT)


def test_export_is_the_attachment_1_layout_and_imports_again_R_AID_01(tmp_path, fgj, dept_list, county):
    catalogue.save_policy(fgj, dept_list, {
        "type": "就业帮扶", "name": "以工代赈", "content": "参与以工代赈项目建设", "target_population": "监测对象",
        "conditions_text": "有劳动能力", "procedure": "报县发改局审批", "contact_name": "张明",
        "office_phone": "0561-6012345", "mobile": "13955612001"})
    catalogue.save_policy(fgj, dept_list, {"type": "就业帮扶", "name": "技能培训", "content": "免费参加技能培训"})
    data = catalogue_io.export_xlsx(dept_list)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "2026年濉溪县发改局防返贫帮扶政策清单"
    assert rows[1] == HEADER
    assert rows[2] == ["就业帮扶", "1、以工代赈", "参与以工代赈项目建设", "监测对象", "有劳动能力", "报县发改局审批",
                       "部门：发改局 联系人：张明 办公电话：0561-6012345 手机号码：13955612001"]
    assert rows[3][1] == "2、技能培训"
    # Into another department list of the same department (next year's, say): the same policies.
    other = PolicyList.objects.create(county=county["county"], county_code="340621", year=2027, kind="department",
                                      department="发改局")
    path = tmp_path / "导出.xlsx"
    path.write_bytes(data)
    preview = catalogue_io.preview(other, path)
    assert preview.refused == [{"level": "refused", "row": 1, "column": "标题",
                                "message": "第1行标题中的年度为2026年，与清单年度2027年不一致：请导入2027年的清单"}]
    same_year = PolicyList.objects.create(county=county["county"], county_code="340621", year=2026, kind="catalogue",
                                          version=1)
    preview = catalogue_io.preview(same_year, path)
    assert not preview.issues
    fields = ("type", "name", "content", "target_population", "conditions_text", "procedure", "department",
              "contact_name", "office_phone", "mobile")
    assert [{f: r[f] for f in fields} for r in preview.rows] == list(dept_list.policies.values(*fields))


def test_unconfirmed_uploads_are_removed_after_a_day_R_AID_01(tmp_path, settings, fgj, dept_list):
    import os
    import time

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    path = _xlsx(tmp_path, [SEED_ROW])
    old = catalogue_io.stash(SimpleUploadedFile("a.xlsx", path.read_bytes()), fgj, dept_list)
    folder = tmp_path / "media" / "assistance" / "policy_imports"
    day_ago = time.time() - 25 * 3600
    for item in folder.iterdir():
        os.utime(item, (day_ago, day_ago))
    new = catalogue_io.stash(SimpleUploadedFile("b.xlsx", path.read_bytes()), fgj, dept_list)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{new}.xlsx", f"{new}.json"])
    with pytest.raises(ValidationError, match="导入的文件已失效"):
        catalogue_io.unstash(old, fgj, dept_list)
    assert catalogue_io.unstash(new, fgj, dept_list)[1] == "b.xlsx"
