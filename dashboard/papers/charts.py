"""The PDF's figures, drawn with matplotlib in the papers' Chinese font and handed over as
PNG data URLs: the pre-pregnancy checks' progress and the sex-ratio map of townships and
villages (from ``geo.choropleth``'s map frame, as the map page colours it)."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pandas as pd

from dashboard.i18n import t
from dashboard.papers.style import ACCENT, DPI, font
from dashboard.papers.wording import BY_INTERVAL, finite
from queries.engine.period import Period
from queries.store.schema import DATA_LEVELS


def _rc() -> dict:
    return {
        "font.family": [font(), "DejaVu Sans"],
        "font.size": 9,
        "axes.unicode_minus": False,
    }


def _png(fig) -> str:
    """The figure as a data URL: a PNG at print resolution (SVG with hundreds of village
    outlines and text drawn as paths is several times slower for WeasyPrint to lay out)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.04, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def checks_chart(curves: pd.DataFrame, target: float | None, period: Period) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(7.0, 3.4))
        ax = fig.add_subplot()
        months = np.arange(1, 13)
        top = float(curves["cumulative"].max()) if len(curves) else 0.0
        if finite(target):
            top = max(top, float(target))
            ax.axhline(float(target), color="#D55E00", lw=1.4)
            ax.text(
                12.4,
                float(target),
                f"全年任务 {float(target):,.0f} 对",
                color="#D55E00",
                ha="right",
                va="bottom",
                fontsize=8.5,
            )
            ax.plot(
                np.r_[0, months],
                np.r_[0, months] / 12 * float(target),
                color="#D55E00",
                lw=1,
                ls=":",
                label="按时序应完成",
            )
        last = curves[curves["series"] == "last_year"]
        if len(last):
            ax.plot(
                last["month"],
                last["cumulative"],
                color="#8C8C8C",
                lw=1.3,
                ls="--",
                label=f"{period.year - 1}年累计",
            )
        this = curves[curves["series"] == "this_year"]
        ax.plot(
            this["month"],
            this["cumulative"],
            color=ACCENT,
            lw=2.2,
            marker="o",
            ms=3.5,
            label=f"{period.year}年累计",
        )
        if len(this):
            end = this.iloc[-1]
            ax.annotate(
                f"{int(end['cumulative']):,} 对",
                (end["month"], end["cumulative"]),
                xytext=(0, -14),
                textcoords="offset points",
                color=ACCENT,
                fontsize=8.5,
                ha="center",
            )
        ax.set_ylim(0, max(top, 1.0) * 1.12)
        ax.set_xlim(0.5, 12.5)
        ax.set_xticks(months, [f"{m}月" for m in months])
        ax.set_ylabel("累计完成对数")
        ax.grid(axis="y", color="#E5E5E5", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower right", frameon=False, fontsize=8.5)
        return _png(fig)


def _township_shapes(shapes, units: pd.DataFrame):
    """The townships' shapes: from the boundaries, else made from their villages' (as the
    map page's, geo.boundaries.township_shape)."""
    import geopandas as gpd

    from geo.boundaries import township_shape

    towns = units.loc[units["level"] == "township", "code"].astype(str)
    have = shapes[shapes["code"].isin(towns)]
    parents = units.set_index("code")["parent_code"]
    kids = shapes[shapes["level"].isin(DATA_LEVELS)].copy()
    kids["town"] = kids["code"].map(parents)
    extra = [
        {"code": town, "geometry": township_shape(group.geometry.to_numpy())}
        for town, group in kids.groupby("town")
        if town not in set(have["code"])
    ]
    if extra:
        have = pd.concat(
            [have[["code", "geometry"]], gpd.GeoDataFrame(extra, crs=shapes.crs)], ignore_index=True
        )
    return gpd.GeoDataFrame(have[["code", "geometry"]], geometry="geometry", crs=shapes.crs)


def boundary_frame(boundaries, units: pd.DataFrame):
    """A GeoDataFrame (code, level, geometry) in WGS84 from a GeoDataFrame or a BoundaryJoin."""
    import geopandas as gpd

    shapes = getattr(boundaries, "shapes", boundaries)
    if shapes is None or len(shapes) == 0:
        return None
    shapes = gpd.GeoDataFrame(shapes, geometry=shapes.geometry.name).copy()
    if shapes.crs is not None and shapes.crs.to_epsg() != 4326:
        shapes = shapes.to_crs(4326)
    shapes["code"] = shapes["code"].astype(str)
    shapes["level"] = shapes["code"].map(units.set_index("code")["level"])
    return shapes[shapes["level"].notna()][["code", "level", shapes.geometry.name]]


def _map_panel(ax, shapes, frame, towns=None, labels: bool = False) -> None:
    import geopandas as gpd

    units = frame.units.set_index("code")
    drawn = shapes[shapes["code"].isin(units.index)].copy()
    if drawn.empty:
        ax.text(0.5, 0.5, "没有可显示的图形", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    drawn["colour"] = drawn["code"].map(units["colour"])
    drawn["faded"] = drawn["code"].map(units["faded"]).astype(bool)
    drawn["verdict"] = drawn["code"].map(units["verdict"])
    drawn["marked"] = drawn["code"].map(units["marked"]).astype(bool)
    solid = drawn[~drawn["faded"]]
    faded = drawn[drawn["faded"]]
    if len(faded):
        faded.plot(ax=ax, color=list(faded["colour"]), alpha=0.45, edgecolor="none")
        faded.boundary.plot(ax=ax, color="#9A9A9A", lw=0.35)
    if len(solid):
        solid.plot(ax=ax, color=list(solid["colour"]), edgecolor="#9A9A9A", lw=0.35)
    if towns is not None and len(towns):
        towns.boundary.plot(ax=ax, color="#404040", lw=1.1)
    high = drawn[drawn["marked"] & (drawn["verdict"] == "significantly_high")]
    low = drawn[drawn["marked"] & (drawn["verdict"] == "significantly_low")]
    if len(high):
        high.boundary.plot(ax=ax, color="#000000", lw=2.0)
    if len(low):
        low.boundary.plot(ax=ax, color="#000000", lw=1.6, ls="--")
    named = drawn if labels else drawn[drawn["marked"]]
    if len(named):
        from matplotlib import patheffects

        points = gpd.GeoSeries(named.geometry, crs=named.crs).representative_point()
        for code, pt in zip(named["code"], points, strict=True):
            ax.annotate(
                str(units.at[code, "name"]),
                (pt.x, pt.y),
                ha="center",
                va="center",
                fontsize=7.5 if labels else 6.5,
                parse_math=False,  # a name such as "$5$村" is text, not mathtext
                path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
            )
    lat = float(np.mean(drawn.total_bounds[[1, 3]]))
    ax.set_aspect(1 / math.cos(math.radians(lat)))
    ax.set_axis_off()


def sex_ratio_map(shapes, table: pd.DataFrame, units: pd.DataFrame) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from geo.choropleth import WORD_KEYS, map_frame

    words = {k: t(f"mp_{k}", "zh") for k in WORD_KEYS}
    town_frame = map_frame(table, BY_INTERVAL, "township", words, "zh")
    village_frame = map_frame(table, BY_INTERVAL, "village", words, "zh")
    towns = _township_shapes(shapes, units)
    town_shapes = towns.assign(level="township")
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(10.6, 3.9))
        left, right, key = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.62]})
        _map_panel(left, town_shapes, town_frame, labels=True)
        left.set_title("乡镇（街道）", fontsize=11)
        _map_panel(right, shapes, village_frame, towns=towns)
        right.set_title("村（社区）（粗线为乡镇界）", fontsize=11)
        handles = []
        for entry in village_frame.legend:
            if entry.kind == "fill":
                handles.append(Patch(facecolor=entry.colour, edgecolor="#9A9A9A", lw=0.5, label=entry.label))
            elif entry.kind == "outline":
                handles.append(Patch(facecolor="white", edgecolor="black", lw=2.0, label=entry.label))
            elif entry.kind == "dashed":
                handles.append(
                    Patch(facecolor="white", edgecolor="black", lw=1.4, ls="--", label=entry.label)
                )
            else:
                handles.append(
                    Patch(facecolor=entry.colour, alpha=0.45, edgecolor="#9A9A9A", label=entry.label)
                )
        key.set_axis_off()
        key.legend(
            handles=handles,
            loc="center left",
            frameon=False,
            fontsize=8,
            title="出生人口性别比（女=100）",
            title_fontsize=8.5,
            alignment="left",
            borderaxespad=0,
        )
        fig.subplots_adjust(left=0.0, right=1.0, top=0.92, bottom=0.02, wspace=0.03)
        return _png(fig)
