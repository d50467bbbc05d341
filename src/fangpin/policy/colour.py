"""一户一码三色: the risk colour rule (pure: inputs -> colour and the reasons, no Django).

Default rule (profile ``[risk_colour]``, counties set their own):

- red (红码): any overdue item (month's visit, plan, measure, ticket), or at least ``red_open_tickets``
  open problem tickets;
- yellow (黄码): monitored and the risk not eliminated (when ``yellow_when_monitored``), or any open
  ticket, or a household category listed in ``yellow_categories``;
- green (绿码): otherwise.

The reasons say, in Chinese, which of these held (every one that held, red reasons first), so a colour
is never shown without its why.
"""

from __future__ import annotations

from dataclasses import dataclass

RED, YELLOW, GREEN = "red", "yellow", "green"
LABELS = {RED: "红", YELLOW: "黄", GREEN: "绿"}


@dataclass(frozen=True)
class ColourParams:
    red_open_tickets: int = 2
    yellow_when_monitored: bool = True
    yellow_categories: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: dict) -> ColourParams:
        return cls(red_open_tickets=int(data.get("red_open_tickets", 2)),
                   yellow_when_monitored=bool(data.get("yellow_when_monitored", True)),
                   yellow_categories=tuple(str(c) for c in data.get("yellow_categories") or ()))


def colour(*, monitored: bool, category: str, open_tickets: int, overdue_items: int,
           params: ColourParams, category_name: str = "") -> tuple[str, list[str]]:
    """The colour of one household and the reasons (Chinese), from its facts and the county's rule."""
    red: list[str] = []
    yellow: list[str] = []
    if overdue_items > 0:
        red.append(f"有{overdue_items}项逾期事项")
    tickets_red = params.red_open_tickets > 0 and open_tickets >= params.red_open_tickets
    if tickets_red:
        red.append(f"有{open_tickets}个未销号问题（达到{params.red_open_tickets}个即为红码）")
    if monitored and params.yellow_when_monitored:
        yellow.append("监测对象，风险未消除")
    if open_tickets > 0 and not tickets_red:
        yellow.append(f"有{open_tickets}个未销号问题")
    if category and category in params.yellow_categories:
        yellow.append(f"户类别为{category_name or category}")
    if red:
        return RED, red + yellow
    if yellow:
        return YELLOW, yellow
    return GREEN, ["无逾期事项、无未销号问题，未处于风险未消除的监测状态"]
