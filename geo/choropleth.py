"""What the map page draws, as plain frames: a value, a colour bin and a mark per unit, the
legend that says what the bins mean, and the funnel plot's points and limits.

Pure functions of the engine's tables: no database, no Streamlit, no drawing.

- **The indicator judged by interval** (the sex ratio at birth): a diverging scale centred
  on its normal band (103–107, the registry's). A unit whose 95 % interval lies wholly above
  the band (or above its target, where that is lower) or wholly below it is *marked* (a
  heavy outline) and listed; every other unit is *faded*, however high its point value,
  because its ratio is within chance.
- **Any other indicator**: five bins at the quintiles of the units shown (rounded to
  the indicator's decimals), darker for worse; a unit that misses its target is marked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from queries.engine import registry
from queries.engine.stats import Z95, Z998, funnel_limits
from queries.engine.verdict import FAILING
from queries.store.schema import DATA_LEVELS

# Bins either side of the normal band, for an indicator judged by interval.
BELOW_BAND_EDGES = (95.0, 100.0)
ABOVE_BAND_EDGES = (110.0, 115.0)
# ColorBrewer PuOr (colour-blind safe): purple below normal, neutral normal, orange above.
BAND_COLOURS = ("#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806")
# ColorBrewer Oranges, light to dark: darker is worse.
SEQUENTIAL_COLOURS = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")
NO_DATA_COLOUR = "#d9d9d9"
QUANTILES = (0.2, 0.4, 0.6, 0.8)
FUNNEL_Y = (25.0, 400.0)  # boys per 100 girls on the funnel plot (a log axis)

# Words the legend and the tooltips need, in the page's language (the page passes them).
WORD_KEYS = ("normal", "marked_high", "marked_low", "faded", "no_data", "not_met", "births_of")

FRAME_COLUMNS = [
    "code",
    "name",
    "value",
    "target",
    "status",
    "significance",
    "verdict",
    "ci_low",
    "ci_high",
    "births",
    "bin",
    "colour",
    "marked",
    "faded",
    "value_text",
    "target_text",
    "status_text",
    "interval_text",
    "births_text",
]


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    kind: str  # "fill", "outline", "dashed" or "faded"


@dataclass(frozen=True, eq=False)
class MapFrame:
    indicator: str
    level: str
    units: pd.DataFrame  # FRAME_COLUMNS, marked units last (drawn on top)
    legend: tuple[LegendEntry, ...]
    pooled: bool

    @property
    def by_interval(self) -> bool:
        """Whether the indicator is judged by its interval (the sex ratio): marked when
        significant, faded when within chance."""
        return registry.get(self.indicator).judged_by == "interval"

    def significant(self) -> pd.DataFrame:
        """The marked units: significantly high first (highest lower bound first), then low."""
        marked = self.units[self.units["marked"]].copy()
        if self.by_interval:
            marked["_order"] = marked["verdict"].map({"significantly_high": 0, "significantly_low": 1})
            marked["_key"] = np.where(
                marked["verdict"] == "significantly_high", -marked["ci_low"], marked["ci_high"]
            )
            marked = marked.sort_values(["_order", "_key", "code"]).drop(columns=["_order", "_key"])
        return marked.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class FunnelFrame:
    points: pd.DataFrame  # code, name, births, value, verdict, y (value kept on the axis), clamped
    limits: pd.DataFrame  # births, ratio, limit ("95%" / "99.8%"), side ("low" / "high")
    centre: float
    y_domain: tuple[float, float]
    x_max: float


def _level_rows(table: pd.DataFrame, level: str, root: str | None) -> pd.DataFrame:
    levels = DATA_LEVELS if level in DATA_LEVELS else (level,)
    rows = table[table["level"].isin(levels)]
    if root is not None and level in DATA_LEVELS and (rows["parent_code"] == root).any():
        rows = rows[rows["parent_code"] == root]
    return rows


def _fmt(code: str, values) -> list[str]:
    fmt = registry.get(code).format
    return [fmt(None if pd.isna(v) else float(v)) for v in values]


def _range_labels(edges, decimals: int) -> list[str]:
    e = [f"{x:,.{decimals}f}" for x in edges]
    return [f"< {e[0]}", *[f"{a}–{b}" for a, b in zip(e[:-1], e[1:], strict=True)], f"≥ {e[-1]}"]


def quantile_breaks(values: np.ndarray, decimals: int) -> list[float]:
    """Up to four rounded, distinct quintile breaks of the finite values."""
    finite = values[np.isfinite(values)]
    if len(finite) < 2 or finite.min() == finite.max():
        return []
    breaks = np.round(np.quantile(finite, QUANTILES), decimals)
    return [float(b) for b in np.unique(breaks) if finite.min() < b <= finite.max()]


def map_frame(
    table: pd.DataFrame,
    indicator: str,
    level: str,
    words: dict[str, str],
    lang: str = "zh",
    root: str | None = None,
    pooled: pd.DataFrame | None = None,
) -> MapFrame:
    """The choropleth of ``indicator`` for the units of ``level`` (all of them, or the
    villages of township ``root``).

    ``table`` is the engine's long table (``queries.engine.indicators.compute``); ``pooled``, for
    the indicator judged by interval only, replaces its values with ``queries.services.trends.sex_ratio_pooled``.
    """
    ind = registry.get(indicator)
    rows = _level_rows(table[table["indicator"] == indicator], level, root)
    units = pd.DataFrame(
        {
            "code": rows["unit_code"].astype(str).to_numpy(),
            "name": rows["name"].to_numpy(),
            "value": rows["value"].to_numpy(float),
            "target": rows["target"].to_numpy(float),
            "status": rows["status"].to_numpy(object),
            "significance": rows["significance"].to_numpy(object),
            "verdict": rows["verdict"].to_numpy(object),
            "ci_low": rows["ci_low"].to_numpy(float),
            "ci_high": rows["ci_high"].to_numpy(float),
            "births": (rows["numerator"].fillna(0) + rows["denominator"].fillna(0)).to_numpy(float),
        }
    )
    by_interval = ind.judged_by == "interval"
    if by_interval and pooled is not None:
        p = pooled.set_index(pooled["unit_code"].astype(str))
        p = p.reindex(units["code"])
        for col in ("value", "target", "ci_low", "ci_high", "births"):
            units[col] = p[col].to_numpy(float)
        for col in ("status", "significance", "verdict"):
            units[col] = p[col].to_numpy(object)
    if not by_interval:
        units["births"] = np.nan

    value = units["value"].to_numpy(float)
    no_data = ~np.isfinite(value)
    if ind.band is not None:
        edges = [*BELOW_BAND_EDGES, ind.band.low, ind.band.high, *ABOVE_BAND_EDGES]
        colours = list(BAND_COLOURS)
        labels = _range_labels(edges, 0)
        labels[3] = f"{labels[3]} {words['normal']}"
    else:
        edges = quantile_breaks(value, ind.decimals)
        colours = _sequential(len(edges) + 1, worse_high=ind.better == "lower")
        labels = _range_labels(edges, ind.decimals) if edges else [_single(ind, value)]
    bins = np.digitize(np.where(no_data, 0.0, value), edges) if edges else np.zeros(len(value), dtype=int)
    units["bin"] = np.where(no_data, -1, bins)
    units["colour"] = [NO_DATA_COLOUR if b < 0 else colours[b] for b in units["bin"]]
    if by_interval:
        verdict = units["verdict"].fillna("no_data").to_numpy(object)
        units["marked"] = np.isin(verdict, ["significantly_high", "significantly_low"])
        units["faded"] = ~units["marked"].to_numpy(bool)
    else:
        units["marked"] = units["verdict"].isin(FAILING).to_numpy(bool)
        units["faded"] = no_data

    suffix = ind.unit if ind.unit in ("‰", "%") else ""
    units["value_text"] = [f"{v}{suffix}" if v != "—" else v for v in _fmt(indicator, units["value"])]
    units["target_text"] = _fmt(indicator, units["target"])
    status = [registry.VERDICT[v].label(lang) if v in registry.VERDICT else "" for v in units["verdict"]]
    if by_interval:
        units["interval_text"] = [
            "—" if not np.isfinite(lo) else f"{_fmt(indicator, [lo])[0]}–{_fmt(indicator, [hi])[0]}"
            for lo, hi in zip(units["ci_low"], units["ci_high"], strict=True)
        ]
        units["births_text"] = [f"{int(b):,}" if np.isfinite(b) else "—" for b in units["births"]]
    else:
        units["interval_text"] = ""
        units["births_text"] = ""
    units["status_text"] = status
    units = units.sort_values(["marked", "code"], kind="stable").reset_index(drop=True)

    legend = [LegendEntry(label, colour, "fill") for label, colour in zip(labels, colours, strict=True)]
    if by_interval:
        legend.append(LegendEntry(words["marked_high"], "#000000", "outline"))
        legend.append(LegendEntry(words["marked_low"], "#000000", "dashed"))
        legend.append(LegendEntry(words["faded"], colours[5], "faded"))
    else:
        legend.append(LegendEntry(words["not_met"], "#000000", "outline"))
    if no_data.any():
        legend.append(LegendEntry(words["no_data"], NO_DATA_COLOUR, "fill"))
    return MapFrame(
        indicator=indicator,
        level=level,
        units=units[FRAME_COLUMNS],
        legend=tuple(legend),
        pooled=bool(by_interval and pooled is not None),
    )


def _single(ind: registry.Indicator, value: np.ndarray) -> str:
    finite = value[np.isfinite(value)]
    return f"= {ind.format(float(finite[0]))}" if len(finite) else "—"


def _sequential(n: int, worse_high: bool) -> list[str]:
    """``n`` colours from the sequential palette, light (better) to dark (worse)."""
    picks = np.round(np.linspace(0, len(SEQUENTIAL_COLOURS) - 1, n)).astype(int) if n > 1 else [2]
    colours = [SEQUENTIAL_COLOURS[i] for i in picks]
    return colours if worse_high else colours[::-1]


def funnel_frame(frame: MapFrame, points: int = 80) -> FunnelFrame:
    """Each unit's sex ratio against its births, with the 95 % and 99.8 % limits around
    the normal ratio (the band's centre, 105) for every number of births up to the largest unit's.

    The y axis is fixed to ``FUNNEL_Y``; a village with 3 boys and no girl has no ratio
    and one with 9 boys and 2 girls a ratio of 450, so points beyond the axis are drawn
    on its edge (``clamped``) with their true value kept for the tooltip."""
    units = frame.units
    shown = units[np.isfinite(units["value"]) & (units["births"] > 0)]
    pts = shown[["code", "name", "births", "value", "verdict"]].reset_index(drop=True)
    lo_y, hi_y = FUNNEL_Y
    pts["y"] = pts["value"].clip(lo_y, hi_y)
    pts["clamped"] = np.select([pts["value"] > hi_y, pts["value"] < lo_y], ["above", "below"], "")
    x_max = float(max(shown["births"].max() if len(shown) else 0.0, 20.0) * 1.1)
    grid = np.unique(np.round(np.geomspace(4.0, x_max, points), 1))
    centre = registry.BANDS[frame.indicator].centre
    parts = []
    for label, z in (("95%", Z95), ("99.8%", Z998)):
        lo, hi = funnel_limits(grid, centre, z)
        for side, ratio in (("low", lo), ("high", hi)):
            part = pd.DataFrame({"births": grid, "ratio": ratio, "limit": label, "side": side})
            parts.append(part[np.isfinite(part["ratio"]) & part["ratio"].between(lo_y, hi_y)])
    limits = pd.concat(parts, ignore_index=True)
    return FunnelFrame(points=pts, limits=limits, centre=centre, y_domain=(lo_y, hi_y), x_max=x_max)
