"""Registry: households, members, incomes, basic needs, tags, value lists (R-REG-02 … R-REG-05)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from fangpin.policy.income import LABELS as INCOME_LABELS


class MonitoringStatus(models.TextChoices):
    NONE = "none", "未纳入监测"
    MONITORED = "monitored", "监测中（风险未消除）"
    ELIMINATED = "eliminated", "风险已消除"


class EliminationMode(models.TextChoices):
    ASSISTED = "assisted", "帮扶消除"
    NATURAL = "natural", "自然消除"


class HousingGrade(models.TextChoices):
    A = "A", "A级"
    B = "B", "B级"
    C = "C", "C级（危房）"
    D = "D", "D级（危房）"


class Term(models.Model):
    """One value of a member value list (R-REG-02a). Lists are data, editable in the admin."""

    vocabulary = models.CharField("值列表", max_length=30, db_index=True)
    value = models.CharField("取值", max_length=40)
    position = models.PositiveSmallIntegerField("顺序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "字典值"
        verbose_name_plural = "字典值"
        ordering = ["vocabulary", "position"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "value"], name="term_vocab_value")]

    def __str__(self):
        return f"{self.vocabulary}:{self.value}"


class Tag(models.Model):
    """Household tags used by rules (R-REG-03): 农村低保, 特困供养, 重度残疾 …"""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "农户标签"
        verbose_name_plural = "农户标签"
        ordering = ["position"]

    def __str__(self):
        return self.name


class Household(models.Model):
    number = models.CharField("户编号", max_length=30, db_index=True)
    village = models.ForeignKey("areas.Division", verbose_name="行政村", on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        "areas.Division", verbose_name="村民小组", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "areas.Division", verbose_name="网格", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    division_code = models.CharField("所在区划代码", max_length=17, db_index=True, editable=False)
    category = models.CharField("户类别", max_length=40, db_index=True)
    monitoring_status = models.CharField(
        "监测状态", max_length=12, choices=MonitoringStatus.choices, default=MonitoringStatus.NONE, db_index=True
    )
    included_on = models.DateField("纳入时间", null=True, blank=True)
    risk_types = models.JSONField("致贫/返贫风险", default=list, blank=True)
    elimination_mode = models.CharField("风险消除方式", max_length=10, choices=EliminationMode.choices, blank=True)
    eliminated_on = models.DateField("风险消除时间", null=True, blank=True)
    no_labour_household = models.BooleanField("整户无劳动能力兜底保障户", default=False)
    phone = models.CharField("户联系电话", max_length=20, blank=True)
    address = models.CharField("住址", max_length=120, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name="标签", blank=True, related_name="households")

    # 两不愁三保障 + 饮水安全 (R-REG-05). None = not assessed yet.
    food_secure = models.BooleanField("不愁吃", null=True, blank=True)
    clothing_secure = models.BooleanField("不愁穿", null=True, blank=True)
    education_secure = models.BooleanField("义务教育有保障", null=True, blank=True)
    medical_secure = models.BooleanField("基本医疗有保障", null=True, blank=True)
    housing_grade = models.CharField("住房安全等级", max_length=1, choices=HousingGrade.choices, blank=True)
    water_secure = models.BooleanField("饮水安全有保障", null=True, blank=True)
    basic_needs_note = models.CharField("三保障说明", max_length=200, blank=True)
    basic_needs_checked_on = models.DateField("三保障核实日期", null=True, blank=True)

    extra = models.JSONField("国家系统其他字段", default=dict, blank=True)
    created_at = models.DateTimeField("建档时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "农户"
        verbose_name_plural = "农户"
        ordering = ["division_code", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="household_village_number")]
        indexes = [
            models.Index(fields=["division_code", "number"], name="household_scope_number"),
            models.Index(fields=["category", "division_code"], name="household_category_scope"),
            models.Index(fields=["monitoring_status", "division_code"], name="household_status_scope"),
            # "These households (by id), within the user's area": tag filters and searches first
            # find a set of ids, then keep those inside the scope; this answers that from the index
            # alone instead of reading every household row.
            models.Index(fields=["id", "division_code"], name="household_id_scope"),
        ]

    def __str__(self):
        return f"户{self.number}"

    @property
    def housing_safe(self):
        if not self.housing_grade:
            return None
        return self.housing_grade in ("A", "B")

    def head(self):
        return self.members.filter(active=True, relation="户主").first()

    def active_members(self):
        return self.members.filter(active=True).order_by("relation_order", "birth_date")


class Member(models.Model):
    household = models.ForeignKey(Household, verbose_name="所在户", on_delete=models.PROTECT, related_name="members")
    id_number = models.CharField("证件号码", max_length=22, unique=True)
    name = models.CharField("姓名", max_length=40, db_index=True)
    sex = models.CharField("性别", max_length=1, choices=[("男", "男"), ("女", "女")])
    birth_date = models.DateField("出生日期", null=True, blank=True)
    relation = models.CharField("与户主关系", max_length=10, db_index=True)
    relation_order = models.PositiveSmallIntegerField(default=99, editable=False)
    ethnicity = models.CharField("民族", max_length=10, blank=True)
    political = models.CharField("政治面貌", max_length=10, blank=True)
    education = models.CharField("文化程度", max_length=20, blank=True)
    student_status = models.CharField("在校生状况", max_length=20, blank=True)
    health = models.CharField("健康状况", max_length=40, blank=True, help_text="多选用逗号分隔")
    disability_grade = models.CharField("残疾等级", max_length=4, blank=True)
    labour = models.CharField("劳动技能", max_length=20, blank=True)
    employment = models.CharField("务工状况", max_length=20, blank=True)
    months_worked = models.PositiveSmallIntegerField("务工时间（月）", default=0)
    medical_insurance = models.BooleanField("参加城乡居民基本医疗保险", null=True, blank=True)
    serious_illness_insurance = models.BooleanField("参加大病保险", null=True, blank=True)
    pension_insurance = models.BooleanField("参加城乡居民基本养老保险", null=True, blank=True)
    dibao = models.BooleanField("享受低保", default=False)
    tekun = models.BooleanField("特困供养", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    person_number = models.CharField("人编号", max_length=30, blank=True)
    active = models.BooleanField("在户", default=True, db_index=True)
    left_reason = models.CharField("离户原因", max_length=60, blank=True)
    extra = models.JSONField("国家系统其他字段", default=dict, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["household", "relation_order", "birth_date"]
        indexes = [
            models.Index(fields=["household", "relation"], name="member_household_relation"),
            # "Households with a member whose name starts with …": the search reads the household ids
            # from this index alone instead of one member row per match (a common surname matches
            # ~90 000 members of a 300 000-household county). Pattern operators on PostgreSQL, where
            # a name prefix is a LIKE (``areas.lookups.Prefix``); SQLite ignores them.
            models.Index(
                fields=["name", "household"], name="member_name_household", opclasses=["varchar_pattern_ops", "int8_ops"]
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def age(self):
        from fangpin.profiles.services import today

        if not self.birth_date:
            return None
        t = today()
        return t.year - self.birth_date.year - ((t.month, t.day) < (self.birth_date.month, self.birth_date.day))


class MemberMove(models.Model):
    """A member moving between households, or leaving the registry (R-REG-02)."""

    member = models.ForeignKey(Member, verbose_name="成员", on_delete=models.PROTECT, related_name="moves")
    from_household = models.ForeignKey(Household, verbose_name="原户", on_delete=models.PROTECT, related_name="+")
    to_household = models.ForeignKey(
        Household, verbose_name="迁入户", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("原因", max_length=100)
    moved_at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "成员变动"
        verbose_name_plural = "成员变动"
        ordering = ["-moved_at"]

    def __str__(self):
        return f"{self.member} {self.reason}"


class IncomePeriod(models.TextChoices):
    ANNUAL = "annual", "全年"
    Q1 = "Q1", "第一季度"
    Q2 = "Q2", "第二季度"
    Q3 = "Q3", "第三季度"
    Q4 = "Q4", "第四季度"
    MONTH = "month", "月度"


class IncomePurpose(models.TextChoices):
    REGULAR = "regular", "常规采集"
    IDENTIFICATION = "identification", "识别时"
    ELIMINATION = "elimination", "风险消除后"


def _money(name):
    return models.DecimalField(
        INCOME_LABELS[name], max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )


class IncomeRecord(models.Model):
    """Income with the national breakdown (R-REG-04). Net and per-capita figures are computed by the service."""

    household = models.ForeignKey(Household, verbose_name="农户", on_delete=models.PROTECT, related_name="incomes")
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("期间", max_length=8, choices=IncomePeriod.choices, default=IncomePeriod.ANNUAL)
    month = models.PositiveSmallIntegerField("月份", null=True, blank=True)
    purpose = models.CharField("用途", max_length=16, choices=IncomePurpose.choices, default=IncomePurpose.REGULAR)
    wage_public_welfare = _money("wage_public_welfare")
    wage_other = _money("wage_other")
    production_income = _money("production_income")
    property_dividend = _money("property_dividend")
    property_other = _money("property_other")
    transfer_family_planning = _money("transfer_family_planning")
    transfer_dibao = _money("transfer_dibao")
    transfer_tekun = _money("transfer_tekun")
    transfer_pension = _money("transfer_pension")
    transfer_eco = _money("transfer_eco")
    transfer_other = _money("transfer_other")
    production_expense = _money("production_expense")
    insurance_payout = _money("insurance_payout")
    eligible_out_of_pocket = _money("eligible_out_of_pocket")
    household_size = models.PositiveSmallIntegerField("家庭人口数")
    net_income = models.DecimalField("家庭纯收入", max_digits=12, decimal_places=2, editable=False)
    per_capita_net_income = models.DecimalField("人均纯收入", max_digits=12, decimal_places=2, editable=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.PROTECT)
    entered_at = models.DateTimeField("录入时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "收入记录"
        verbose_name_plural = "收入记录"
        ordering = ["-year", "period", "month"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year", "period", "month", "purpose"], name="income_unique_period"),
            models.UniqueConstraint(
                fields=["household", "year", "period", "purpose"],
                condition=models.Q(month__isnull=True),
                name="income_unique_period_nomonth",
            ),
        ]

    def __str__(self):
        return f"{self.year}{self.get_period_display()}收入"

    @property
    def wage_total(self):
        return self.wage_public_welfare + self.wage_other

    @property
    def property_total(self):
        return self.property_dividend + self.property_other

    @property
    def transfer_total(self):
        return (
            self.transfer_family_planning + self.transfer_dibao + self.transfer_tekun
            + self.transfer_pension + self.transfer_eco + self.transfer_other
        )


class MoveStatus(models.TextChoices):
    OPEN = "open", "待办理"
    DONE = "done", "已迁移"
    DECLINED = "declined", "不予迁移"


class MoveRequest(models.Model):
    """A person registered in one area was entered in another (R-SEC-04).

    The person is not revealed to the requesting side; the county offices of both sides see the
    request and act on it: the holding side agrees to release the person, the receiving side to
    take them in; when both have agreed the member moves to the receiving household.
    """

    id_number = models.CharField("证件号码", max_length=22, db_index=True)
    name = models.CharField("申请登记姓名", max_length=40, blank=True)
    details = models.JSONField("申请登记信息", default=dict, blank=True)
    target_household = models.ForeignKey(
        Household, verbose_name="拟迁入户", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_division_code = models.CharField("拟迁入区划代码", max_length=17, db_index=True)
    holder_member = models.ForeignKey(Member, verbose_name="现登记成员", on_delete=models.PROTECT, related_name="+")
    holder_division_code = models.CharField("现登记区划代码", max_length=17, db_index=True)
    status = models.CharField("状态", max_length=10, choices=MoveStatus.choices, default=MoveStatus.OPEN, db_index=True)
    source = models.CharField("来源", max_length=20, default="web")
    source_ref = models.CharField("来源说明", max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="迁出地同意人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField("迁出地同意时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="迁入地同意人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField("迁入地同意时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    note = models.CharField("办理说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "跨区域迁移申请"
        verbose_name_plural = "跨区域迁移申请"
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"迁移申请{self.pk}"
