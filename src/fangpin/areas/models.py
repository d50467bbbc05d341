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
