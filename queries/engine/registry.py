"""The one registry of indicators: labels, units, direction and how each is computed.

Each indicator's numerator and denominator are expressions over the per-unit *measures*
that ``queries.analytics.read`` sums up the tree in SQL. Adding an indicator whose measures
exist is adding an entry here; pages, the command line, exports and status rules all read
from this registry. So does how a value is judged (``judged_by``: by its point value, or by
its interval against a normal ``band``): code elsewhere asks for ``interval_judged()`` or
``BANDS`` rather than naming an indicator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["lower", "higher"]  # which side of the target meets it
Kind = Literal["rate", "count"]
Source = Literal["events", "reported", "pending"]
# "value": the point value against the target. "interval": a ratio of two counts, whose 95 %
# interval decides (queries.engine.verdict), so small numbers are not judged on chance alone.
JudgedBy = Literal["value", "interval"]


@dataclass(frozen=True)
class Band:
    """The normal range of an indicator judged by interval: an interval wholly below ``low`` is
    significantly low, wholly above ``high`` (or a lower target) significantly high; ``centre``
    is the expected value (the funnel plot's centre line)."""

    low: float
    high: float
    centre: float


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit: str  # symbol shown after a value: ‰, %, or a word for ratios and counts
    unit_zh: str
    unit_en: str
    kind: Kind
    better: Direction
    numerator: str  # a pandas expression over measure columns
    denominator: str | None  # None for a count
    scale: float
    decimals: int
    source: Source
    basis_dependent: bool = False
    numerator_zh: str = ""
    numerator_en: str = ""
    denominator_zh: str = ""
    denominator_en: str = ""
    judged_by: JudgedBy = "value"
    band: Band | None = None  # only for judged_by == "interval"

    def __post_init__(self) -> None:
        if (self.judged_by == "interval") != (self.band is not None):
            raise ValueError(f"{self.code}: an indicator judged by interval needs a band, and only it")

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def unit_label(self, lang: str = "zh") -> str:
        return self.unit_zh if lang == "zh" else self.unit_en

    def format(self, value: float | None) -> str:
        """The value as a page shows it; no data is an em dash, never 0, ∞ or NaN."""
        if self.kind == "count":
            return format_count(value)
        if _missing(value):
            return "—"
        return f"{value:,.{self.decimals}f}"


def _reported(code: str, zh: str, en: str) -> Indicator:
    return Indicator(
        code=code,
        name_zh=zh,
        name_en=en,
        unit="%",
        unit_zh="%",
        unit_en="%",
        kind="rate",
        better="higher",
        numerator=f"rep_num_{code}",
        denominator=f"rep_den_{code}",
        scale=100.0,
        decimals=1,
        source="reported",
        numerator_zh="上报分子",
        numerator_en="reported numerator",
        denominator_zh="上报分母",
        denominator_en="reported denominator",
    )


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        code="birth_rate",
        name_zh="人口出生率",
        name_en="Birth rate",
        unit="‰",
        unit_zh="‰",
        unit_en="‰",
        kind="rate",
        better="lower",
        numerator="births",
        denominator="avg_population",
        scale=1000.0,
        decimals=2,
        source="events",
        basis_dependent=True,
        numerator_zh="出生数",
        numerator_en="births",
        denominator_zh="年平均人口",
        denominator_en="average population",
    ),
    Indicator(
        code="natural_growth_rate",
        name_zh="人口自然增长率",
        name_en="Natural growth rate",
        unit="‰",
        unit_zh="‰",
        unit_en="‰",
        kind="rate",
        better="lower",
        numerator="births - deaths",
        denominator="avg_population",
        scale=1000.0,
        decimals=2,
        source="events",
        basis_dependent=True,
        numerator_zh="出生数 − 死亡数",
        numerator_en="births − deaths",
        denominator_zh="年平均人口",
        denominator_en="average population",
    ),
    Indicator(
        code="policy_compliance_rate",
        name_zh="政策符合率",
        name_en="Policy compliance rate",
        unit="%",
        unit_zh="%",
        unit_en="%",
        kind="rate",
        better="higher",
        numerator="in_policy_births",
        denominator="births",
        scale=100.0,
        decimals=2,
        source="events",
        basis_dependent=True,
        numerator_zh="政策内出生数",
        numerator_en="births in policy",
        denominator_zh="出生数",
        denominator_en="births",
    ),
    Indicator(
        code="sex_ratio_at_birth",
        name_zh="出生人口性别比",
        name_en="Sex ratio at birth",
        unit="",
        unit_zh="（女=100）",
        unit_en="boys per 100 girls",
        kind="rate",
        better="lower",
        numerator="male_births",
        denominator="female_births",
        scale=100.0,
        decimals=2,
        source="events",
        basis_dependent=True,
        numerator_zh="男婴数",
        numerator_en="boys born",
        denominator_zh="女婴数",
        denominator_en="girls born",
        judged_by="interval",
        band=Band(low=103.0, high=107.0, centre=105.0),
    ),
    Indicator(
        code="prepregnancy_checks",
        name_zh="免费孕前优生健康检查",
        name_en="Free pre-pregnancy checks",
        unit="对",
        unit_zh="对",
        unit_en="couples",
        kind="count",
        better="higher",
        numerator="checked_couples",
        denominator=None,
        scale=1.0,
        decimals=0,
        source="events",
        numerator_zh="已检查夫妇数",
        numerator_en="couples checked",
    ),
    Indicator(
        code="prepregnancy_check_coverage",
        name_zh="孕前优生健康检查覆盖率",
        name_en="Pre-pregnancy check coverage",
        unit="%",
        unit_zh="%",
        unit_en="%",
        kind="rate",
        better="higher",
        numerator="checked_couples",
        denominator="eligible_couples",
        scale=100.0,
        decimals=1,
        source="events",
        numerator_zh="已检查夫妇数",
        numerator_en="couples checked",
        denominator_zh="目标人群夫妇数",
        denominator_en="eligible couples",
    ),
    Indicator(
        code="migrant_service_coverage",
        name_zh="流动人口服务管理率",
        name_en="Migrant service coverage",
        unit="%",
        unit_zh="%",
        unit_en="%",
        kind="rate",
        better="higher",
        numerator="inflow_served",
        denominator="inflow_present",
        scale=100.0,
        decimals=1,
        source="events",
        numerator_zh="已服务流入人口",
        numerator_en="inflow migrants served",
        denominator_zh="在册流入人口",
        denominator_en="inflow migrants present",
    ),
    Indicator(
        code="info_accuracy_rate",
        name_zh="信息准确率",
        name_en="Information accuracy rate",
        unit="%",
        unit_zh="%",
        unit_en="%",
        kind="rate",
        better="higher",
        numerator="0",
        denominator="0",
        scale=100.0,
        decimals=1,
        source="pending",
        numerator_zh="无逻辑错误记录数",
        numerator_en="records without a logic error",
        denominator_zh="记录总数",
        denominator_en="all records",
    ),
    _reported("reward_payout_rate", "奖励扶助兑现率", "Reward support payout rate"),
    _reported("satisfaction_rate", "群众满意率", "Public satisfaction rate"),
    _reported("knowledge_rate", "人口和计划生育知识普及率", "Population knowledge rate"),
    _reported("contraception_rate", "综合避孕率", "Contraceptive prevalence"),
    _reported("informed_choice_rate", "知情选择率", "Informed choice rate"),
    _reported("happy_family_rate", "幸福家庭创建参与率", "Happy-family participation"),
)

BY_CODE: dict[str, Indicator] = {ind.code: ind for ind in INDICATORS}
CODES: tuple[str, ...] = tuple(BY_CODE)
REPORTED_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.source == "reported")
INTERVAL_JUDGED: tuple[Indicator, ...] = tuple(i for i in INDICATORS if i.judged_by == "interval")
# The normal band of each indicator judged by interval, by code (every such indicator has one).
BANDS: dict[str, Band] = {i.code: i.band for i in INDICATORS if i.band is not None}

# What the pre-pregnancy checks and migrant services pages (and the papers' checks section)
# follow: the checks' task and its coverage, the migrants' service coverage.
CHECK_COUNT = "prepregnancy_checks"
CHECK_COVERAGE = "prepregnancy_check_coverage"
MIGRANT_COVERAGE = "migrant_service_coverage"
# A unit had events in a year when the numerator of one of these is above zero (a trend skips
# years with year-end population rows only, which would read as a birth rate of 0).
ACTIVITY = ("birth_rate", CHECK_COUNT, MIGRANT_COVERAGE)
for _code in (CHECK_COUNT, CHECK_COVERAGE, MIGRANT_COVERAGE, *ACTIVITY):
    if _code not in BY_CODE:
        raise ValueError(f"{_code} is named above but not declared")

STATUSES = ("met", "not_met", "no_target", "no_data")
BASES = ("registered", "resident")


def _missing(value: float | None) -> bool:
    return value is None or value != value or value in (float("inf"), float("-inf"))


def format_count(value: float | None) -> str:
    """A count as every page shows it: thousands separators; no data is an em dash."""
    return "—" if _missing(value) else f"{value:,.0f}"


def get(code: str) -> Indicator:
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown indicator code {code!r}; known: {', '.join(CODES)}") from None


def interval_judged() -> Indicator:
    """The indicator judged by its interval (the sex ratio at birth): what its pages, charts
    and the map show apart from the rest."""
    if len(INTERVAL_JUDGED) != 1:
        raise LookupError(f"{len(INTERVAL_JUDGED)} indicators are judged by interval; the pages show one")
    return INTERVAL_JUDGED[0]


@dataclass(frozen=True)
class Status:
    code: str
    name_zh: str
    name_en: str
    symbol: str  # read without colour: colour-blind readers and black-and-white print
    colour: str  # Okabe–Ito-style blue/orange, safe for the common colour blindnesses
    background: str

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def label(self, lang: str = "zh") -> str:
        return f"{self.symbol} {self.name(lang)}"


STATUS: dict[str, Status] = {
    "met": Status("met", "达标", "Met", "✔", "#0072B2", "#D6E9F5"),
    "not_met": Status("not_met", "未达标", "Not met", "✘", "#D55E00", "#F9DCC8"),
    "no_target": Status("no_target", "无目标", "No target", "○", "#6B6B6B", "#EEEEEE"),
    "no_data": Status("no_data", "无数据", "No data", "—", "#9A9A9A", "#F6F6F6"),
}

PACE: dict[str, Status] = {
    "behind": Status("behind", "进度滞后", "Behind pace", "▼", "#D55E00", "#F9DCC8"),
    "on_track": Status("on_track", "进度正常", "On pace", "▲", "#0072B2", "#D6E9F5"),
}

# The judgement every page, export, paper and the command line show (queries.engine.verdict):
# labels, symbols and colours read from here and nowhere else.
VERDICT: dict[str, Status] = {
    "met": STATUS["met"],
    "not_met": STATUS["not_met"],
    "behind": Status("behind", "进度滞后", "Behind pace", "▼", "#D55E00", "#F9DCC8"),
    "within_chance": Status("within_chance", "随机波动", "Within chance", "≈", "#6B6B6B", "#EEEEEE"),
    "significantly_high": Status(
        "significantly_high", "显著偏高", "Significantly high", "▲", "#D55E00", "#F9DCC8"
    ),
    "significantly_low": Status(
        "significantly_low", "显著偏低", "Significantly low", "▽", "#CC79A7", "#F3DDEA"
    ),
    "no_target": STATUS["no_target"],
    "no_data": STATUS["no_data"],
}
