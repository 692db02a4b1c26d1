"""How both papers write what they show: the levels' names, a value with the registry's
decimals, a veto's causes, a change of rank, the sex ratio's interval."""

from __future__ import annotations

import math

from queries.engine import registry

SHEETS = {"township": "乡镇（街道）", "village": "村（社区）"}
LEVEL_ZH = {"county": "县（市）", "township": "乡镇（街道）", "village": "村", "community": "社区"}
BASIS_ZH = {"registered": "户籍", "resident": "常住"}
# The indicator the papers show with its interval and on the map (the sex ratio at birth).
BY_INTERVAL = registry.interval_judged().code
CHECKS = registry.CHECK_COUNT


def finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _suffix(ind: registry.Indicator) -> str:
    return ind.unit if ind.unit in ("‰", "%") else ""


def fmt(code: str, value, suffix: bool = True) -> str:
    """A value as the papers print it: the registry's decimals, no data as an em dash."""
    ind = registry.get(code)
    text = ind.format(float(value) if finite(value) else None)
    return f"{text}{_suffix(ind)}" if suffix and text != "—" else text


def unit_label(code: str) -> str:
    unit = registry.get(code).unit_zh
    return unit if unit.startswith("（") else f"（{unit}）"


def veto_codes(veto_by) -> list[str]:
    """'policy_compliance_rate,sex_ratio_at_birth' → the two codes."""
    return [c for c in str(veto_by or "").split(",") if c]


def causes(veto_by) -> str:
    """'policy_compliance_rate,sex_ratio_at_birth' → '政策符合率、出生人口性别比'."""
    return "、".join(registry.get(c).name_zh for c in veto_codes(veto_by))


def rank_change(change) -> str:
    if not finite(change):
        return "—"
    change = int(round(float(change)))
    return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else "持平"


def interval(low, high) -> str:
    if not (finite(low) and finite(high)):
        return "—"
    return f"{fmt(BY_INTERVAL, low)}–{fmt(BY_INTERVAL, high)}"


def points(value) -> str:
    return f"{float(value):.2f}" if finite(value) else "—"
