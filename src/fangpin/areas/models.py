"""Administrative divisions and grids (R-REG-01).

``code`` is the jurisdiction key: every division's code starts with its parent's code, so
"everything inside division D" is "code starts with D.code".

| level     | code length | example             |
|-----------|-------------|---------------------|
| county    | 6           | 340621              |
| township  | 9           | 340621100           |
| village   | 12          | 340621100201        |
| group     | 15          | 340621100201003     |
| grid      | 17          | 34062110020100301   |

County, township and village codes are the official statistical codes (shown as 12 digits
padded with zeros); group and grid codes extend the village code.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .lookups import prefix_q


class Level(models.IntegerChoices):
    COUNTY = 1, "县（区）"
    TOWNSHIP = 2, "乡镇（街道）"
    VILLAGE = 3, "行政村（社区）"
    GROUP = 4, "村民小组"
    GRID = 5, "网格"


CODE_LENGTH = {Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GROUP: 15, Level.GRID: 17}


class DivisionQuerySet(models.QuerySet):
    def within(self, code: str):
        return self.filter(prefix_q("code", code))


class Division(models.Model):
    code = models.CharField("区划代码", max_length=17, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    profile_key = models.CharField("政策画像", max_length=40, blank=True, help_text="县级区划绑定的政策画像")
    active = models.BooleanField("有效", default=True)
    history = HistoricalRecords()

    objects = DivisionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def stat_code(self) -> str:
        """The 12-digit statistical code (county/township/village); group and grid keep their own."""
        return self.code.ljust(12, "0") if len(self.code) <= 12 else self.code

    @property
    def county_code(self) -> str:
        return self.code[:6]

    def path(self) -> list["Division"]:
        """Ancestors from the county down to this division (one query)."""
        prefixes = [self.code[:n] for n in CODE_LENGTH.values() if n <= len(self.code)]
        found = {d.code: d for d in Division.objects.filter(code__in=prefixes)}
        return [found[p] for p in prefixes if p in found]

    def full_name(self) -> str:
        """County to this division; a grid named "<group>第一网格" does not repeat its group's name."""
        parts: list[str] = []
        for d in self.path():
            name = d.name
            if parts and name.startswith(parts[-1]) and name != parts[-1]:
                name = name[len(parts[-1]) :]
            parts.append(name)
        return "".join(parts)

    def contains(self, code: str) -> bool:
        return code.startswith(self.code)


# --- grid workers and working groups (R-GRID-01, R-GRID-03, R-GRID-05) ------------------------------
#
# The four levels of 004 §一: group grids and village grids are divisions (GRID under GROUP, and the
# village itself); the people named at each level are ``GridWorker`` rows, whose ``position`` is one of
# the positions the county profile declares under ``[grid].positions`` (村组网格员 / 村级网格员 in 004;
# 网格监测员 / 分网格长 / 总网格长 in 丰都, 003 第一步). The township and county levels are working groups
# of people and member units (004 附件3/附件4), not divisions: ``WorkingGroup`` and its members.
# Writes go through ``fangpin.grid.services`` (the actor's scope, the county lock, the audit trail).


class ScopedQuerySet(models.QuerySet):
    """Rows keyed by ``division_code``; ``within(code)`` keeps those inside a division."""

    def within(self, code: str):
        return self.filter(prefix_q("division_code", code))


class GridWorker(models.Model):
    """A person named in the grid: a group-grid worker (村组网格员 / 监测员) bound to one grid, a village-level
    worker (村级网格员 / 分网格长) pairing group grids (包保), or a township grid head (总网格长)."""

    name = models.CharField("姓名", max_length=20)
    phone = models.CharField("联系电话", max_length=20)
    position = models.CharField("岗位", max_length=30, help_text="县级政策画像 [grid].positions 中的岗位代码")
    # Where the person works: the village (group-grid and village-level workers) or the township (grid head).
    unit = models.ForeignKey(Division, verbose_name="所属村（乡镇）", on_delete=models.PROTECT, related_name="grid_workers")
    grid = models.ForeignKey(
        Division, verbose_name="所在网格", null=True, blank=True, on_delete=models.PROTECT, related_name="grid_members",
        help_text="村组网格员所负责的网格；空 = 尚未分配网格",
    )
    # The scope key: the grid's code for a worker with a grid, else the unit's code.
    division_code = models.CharField("区划代码", max_length=17, db_index=True, editable=False)
    is_group_leader = models.BooleanField("村民组长", default=False)
    is_party_member = models.BooleanField("党员", default=False)
    other_duty = models.CharField("其他（职务）", max_length=40, blank=True)
    title = models.CharField("职务", max_length=40, blank=True, help_text="村级网格员的职务，如 村党总支书记、驻村工作队员")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="grid_worker",
    )
    note = models.CharField("备注", max_length=100, blank=True)
    active = models.BooleanField("在岗", default=True, db_index=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网格员"
        verbose_name_plural = "网格员"
        ordering = ["division_code", "position", "name"]
        indexes = [models.Index(fields=["division_code", "position"], name="gridworker_scope_position")]

    def __str__(self):
        return self.name


class GridPairing(models.Model):
    """A village-level worker answering for one group grid (包保, 004 §一(二)); one per grid."""

    worker = models.ForeignKey(GridWorker, verbose_name="村级网格员", on_delete=models.CASCADE, related_name="pairings")
    grid = models.OneToOneField(Division, verbose_name="网格", on_delete=models.PROTECT, related_name="pairing")
    division_code = models.CharField("区划代码", max_length=17, db_index=True, editable=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网格包保"
        verbose_name_plural = "网格包保"
        ordering = ["division_code"]

    def __str__(self):
        return f"{self.worker}包保{self.grid}"


class WorkingGroup(models.Model):
    """The township's 研判处置工作组 or a county's 政策落实 / 数据处理工作组 (004 §一(三)(四))."""

    division = models.ForeignKey(Division, verbose_name="所属乡镇（县）", on_delete=models.PROTECT, related_name="working_groups")
    division_code = models.CharField("区划代码", max_length=17, db_index=True, editable=False)
    kind = models.CharField("类别", max_length=30, help_text="县级政策画像 [grid].working_groups 中的代码")
    name = models.CharField("名称", max_length=60)
    leader = models.CharField("组长", max_length=40, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "工作组"
        verbose_name_plural = "工作组"
        ordering = ["division_code", "kind"]
        constraints = [models.UniqueConstraint(fields=["division", "kind"], name="workinggroup_division_kind")]

    def __str__(self):
        return self.name


class WorkingGroupMember(models.Model):
    """A member unit of a working group with its 分管负责人 and 业务联络员 (004 附件3/附件4)."""

    group = models.ForeignKey(WorkingGroup, verbose_name="工作组", on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField("序号", default=0)
    unit_name = models.CharField("单位名称", max_length=40)
    leader = models.CharField("分管负责人", max_length=20, blank=True)
    liaison = models.CharField("业务联络员", max_length=20, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    note = models.CharField("备注", max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "工作组成员单位"
        verbose_name_plural = "工作组成员单位"
        ordering = ["group", "position"]
        constraints = [models.UniqueConstraint(fields=["group", "unit_name"], name="workinggroupmember_unit")]

    def __str__(self):
        return self.unit_name
