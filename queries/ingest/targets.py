"""Targets management: a target template to download, fill in and upload, all or nothing.

``template_xlsx`` writes every unit × indicator of a year with Chinese headers and the
units' own targets filled in; ``read_template`` reads a filled-in copy back into the
interchange ``targets`` columns, one frame row per spreadsheet row; ``preview_changes``
checks it with the importer's validation (the same rules and messages, with the row
numbers the spreadsheet shows and its Chinese column headers) and says what saving would
change; ``save_targets`` writes the added and changed targets through ``import_frames``.

Decisions:

* An empty 目标值 cell means "no change": it never deletes a stored target (a cleared cell
  is too easy to make by accident). A unit's own target is deleted only by the explicit
  ``delete_targets`` (the page's 删除自有目标 action); the preview lists cleared cells whose
  target stays as ``kept``.
* Only the own targets of the rows written are touched; the informational columns
  (单位名称, 层级, 指标名称, 计量单位, 留空时沿用) are ignored on upload, and any other
  column is an error, as in an import.
* A cell Excel shows as a percentage (92%) is read as the number shown (92), and a
  trailing %, ‰ typed into a % or ‰ indicator's cell is dropped: targets are in the
  indicator's unit, as indicators.md gives them.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, or_, select

from queries.analytics.lifecycle import ensure_schema
from queries.engine import registry
from queries.engine.indicators import effective_targets
from queries.formats.xlsx import XLSX_MIME, workbook, write_cell
from queries.ingest import history, lock
from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.limits import Limits
from queries.ingest.load import ImportReport, import_frames
from queries.ingest.validate import validate
from queries.store import clock, data_version
from queries.store.frames import frame as sql_frame
from queries.store.frames import unit_tree
from queries.store.schema import targets, unit_ancestors, units

__all__ = [
    "CHANGE_KINDS",
    "HEADERS",
    "SHEET",
    "XLSX_MIME",
    "delete_targets",
    "own_targets",
    "preview_changes",
    "read_template",
    "save_targets",
    "template_frame",
    "template_xlsx",
]

SHEET = "目标"
HELP_SHEET = "填写说明"
# interchange column -> template header
HEADERS: dict[str, str] = {
    "year": "年度",
    "unit_code": "单位代码",
    "indicator": "指标代码",
    "target": "目标值",
}
INFO_HEADERS: tuple[str, ...] = ("单位名称", "层级", "指标名称", "计量单位", "留空时沿用")
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "年度",
    "单位代码",
    "单位名称",
    "层级",
    "指标代码",
    "指标名称",
    "目标值",
    "计量单位",
    "留空时沿用",
)
LEVEL_ZH = {"county": "县（市）", "township": "乡镇（街道）", "village": "村", "community": "社区"}
CHANGE_KINDS = ("added", "changed", "unchanged", "kept")
DEFAULT_LABEL = "目标模板.xlsx"


# --------------------------------------------------------------------------- the template


def _tree_order(tree: pd.DataFrame) -> list[str]:
    """Unit codes depth-first: each township followed by its villages, as a list reads."""
    kids: dict[str, list[str]] = {}
    for code, parent in zip(tree["code"], tree["parent_code"], strict=True):
        kids.setdefault(parent, []).append(code)
    roots = tree.loc[tree["depth"] == 0, "code"].tolist()
    out: list[str] = []
    stack = list(reversed(roots))
    while stack:
        code = stack.pop()
        out.append(code)
        stack.extend(reversed(sorted(kids.get(code, []))))
    return out


def template_frame(conn: Connection, root: str, year: int) -> pd.DataFrame:
    """The template's rows: every unit under ``root`` (itself included) × every indicator.

    Columns ``TEMPLATE_COLUMNS``; 目标值 is the unit's own target (NaN where it has none) and
    留空时沿用 what applies when it has none: the parent's target for a rate, the sum of the
    children's for a count task.
    """
    year = int(year)
    tree = unit_tree(conn, root)
    if tree.empty:
        raise LookupError(f"no unit with code {root!r}")
    order = _tree_order(tree)
    info = tree.set_index("code")
    # The engine's inheritance, own targets and what applies without one alike.
    eff = effective_targets(conn, root, year, tree).set_index(["unit_code", "indicator"])

    codes = list(registry.CODES)
    grid = pd.MultiIndex.from_product([order, codes], names=["unit_code", "indicator"])
    out = pd.DataFrame(index=grid).reset_index()
    own = eff["target"].where(eff["target_from"] == "own")
    out["own"] = own.reindex(grid).to_numpy(float)
    fallback = pd.Series(eff["fallback"].reindex(grid).to_numpy(float), index=out.index)

    return pd.DataFrame(
        {
            "年度": year,
            "单位代码": out["unit_code"],
            "单位名称": out["unit_code"].map(info["name"]),
            "层级": out["unit_code"].map(info["level"]).map(LEVEL_ZH),
            "指标代码": out["indicator"],
            "指标名称": out["indicator"].map(lambda c: registry.BY_CODE[c].name_zh),
            "目标值": out["own"],
            "计量单位": out["indicator"].map(lambda c: _unit_zh(registry.BY_CODE[c])),
            "留空时沿用": fallback,
        },
        columns=list(TEMPLATE_COLUMNS),
    )


def _unit_zh(ind: registry.Indicator) -> str:
    return ind.unit_zh.strip("（）") if ind.unit_zh else ind.unit


HELP_LINES = (
    "目标值模板 · 填写说明",
    "",
    "1. 只填写或修改“目标值”一列；其余各列不必改动（单位名称、层级、指标名称、计量单位、留空时沿用仅供参考，上传时忽略）。",
    "2. 目标值按指标的计量单位填写：百分率填 92 表示 92%，千分率填 5.5 表示 5.5‰，性别比填 110，孕前优生检查填对数。",
    "3. 目标值留空表示该单位没有自己的目标：比率类指标沿用上级目标，任务数（孕前优生检查对数）取下级合计，见“留空时沿用”列。",
    "4. 清空单元格不会删除已保存的目标（上传后预览会列出这些单元格）；要删除某单位的自有目标，请在“目标管理”页面使用“删除自有目标”。",
    "5. 上传后页面先列出将新增、修改的目标，确认后才保存；有任何一行出错则一行也不保存，并指出出错的行号（即本表左侧的行号）。",
    "6. 可以删去不需要的行，也可以把多个年度、多个单位放在同一张表里；同一年度、单位、指标只能出现一次。",
)


def template_xlsx(conn: Connection, root: str, year: int) -> bytes:
    """The template as an .xlsx workbook: sheet 目标 (header frozen, 目标值 highlighted and
    checked by Excel as a number ≥ 0) and 填写说明 (how to fill it in)."""
    frame = template_frame(conn, root, year)
    buf = io.BytesIO()
    wb = workbook(buf)
    ws = wb.add_worksheet(SHEET)
    bold = wb.add_format({"bold": True, "bg_color": "#DCE4EE", "border": 1})
    bold_edit = wb.add_format({"bold": True, "bg_color": "#FFE699", "border": 1})
    edit = wb.add_format({"bg_color": "#FFF2CC"})
    grey = wb.add_format({"font_color": "#777777"})
    widths = {
        "年度": 7,
        "单位代码": 16,
        "单位名称": 14,
        "层级": 12,
        "指标代码": 30,
        "指标名称": 26,
        "目标值": 10,
    }
    for i, name in enumerate(TEMPLATE_COLUMNS):
        fmt = edit if name == "目标值" else grey if name in INFO_HEADERS else None
        ws.set_column(i, i, widths.get(name, 12), fmt)
        ws.write(0, i, name, bold_edit if name == "目标值" else bold)
    for i, name in enumerate(TEMPLATE_COLUMNS):
        values = frame[name].tolist()
        fmt = edit if name == "目标值" else grey if name in INFO_HEADERS else None
        for r, v in enumerate(values, start=1):
            write_cell(ws, r, i, v, fmt)
    n = len(frame)
    target_col = TEMPLATE_COLUMNS.index("目标值")
    ws.write_comment(
        0,
        target_col,
        "只需填写本列。留空 = 该单位没有自己的目标（沿用上级或下级合计）；清空不会删除已保存的目标。",
        {"x_scale": 2, "y_scale": 1.5},
    )
    ws.data_validation(
        1,
        target_col,
        max(n, 1),
        target_col,
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "ignore_blank": True,
            "error_title": "目标值",
            "error_message": "目标值须为不小于 0 的数字；留空表示没有自己的目标。",
        },
    )
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(TEMPLATE_COLUMNS) - 1)

    help_ws = wb.add_worksheet(HELP_SHEET)
    help_ws.set_column(0, 0, 120)
    for r, line in enumerate(HELP_LINES):
        help_ws.write_string(r, 0, line, wb.add_format({"bold": True}) if r == 0 else None)
    wb.close()
    return buf.getvalue()


# --------------------------------------------------------------------------- reading it back


def _fail(label: str, code: str, **params: object) -> ImportFailed:
    return ImportFailed(RowError.of(label, None, None, code, **params))


def _text(value, number_format: str = "") -> str:
    """A cell as the text it stands for; a cell shown as a percentage is the number shown."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        v = float(value)
        if "%" in (number_format or ""):
            v = round(v * 100, 10)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(value).strip()


def read_template(data: bytes, name: str = DEFAULT_LABEL) -> pd.DataFrame:
    """A filled-in template as the interchange ``targets`` columns (year, unit_code, indicator,
    target), all text; frame row ``i`` is spreadsheet row ``i + 2`` (blank rows kept).

    Reads the sheet 目标 (else the first sheet); the header must be its first row. Raises
    ``ImportFailed`` for a file that is not a readable workbook, a missing or unknown column.
    ``name`` (the uploaded file's name) labels errors; it is kept in ``attrs["label"]``.
    """
    from openpyxl import load_workbook

    # Sized before openpyxl unpacks anything: a zip bomb uploaded here grew the server past 540 MB.
    limits = Limits.from_settings()
    limits.check_size(name, len(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            limits.check_archive(name, archive)
    except zipfile.BadZipFile as exc:
        raise _fail(name, "not_a_workbook", reason=" ".join(str(exc).split())) from exc
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise _fail(name, "not_a_workbook", reason=reason) from exc
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        label = name if ws.title == SHEET else f"{name} sheet {ws.title}"
        ws.reset_dimensions()  # trust the cells, not a dimension some writers get wrong
        rows = [[(c.value, getattr(c, "number_format", "") or "") for c in r] for r in ws.iter_rows()]
    finally:
        wb.close()
    if not rows:
        raise _fail(label, "template_empty", columns=", ".join(TEMPLATE_COLUMNS))
    header = [_text(v) for v, _ in rows[0]]
    body = rows[1:]
    wanted = {zh: en for en, zh in HEADERS.items()} | {en: en for en in HEADERS}
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for i, h in enumerate(header):
        if h == "":
            if any(i < len(r) and _text(r[i][0]) != "" for r in body):
                errors.append(RowError.of(label, 1, None, "values_without_header", n=i + 1))
            continue
        if h in INFO_HEADERS:
            continue
        if h not in wanted:
            errors.append(
                RowError.of(label, 1, h, "template_unknown_column", h, columns=", ".join(TEMPLATE_COLUMNS))
            )
            continue
        key = wanted[h]
        if key in positions:
            errors.append(RowError.of(label, 1, h, "doubled_column", h))
            continue
        positions[key] = i
    for en, zh in HEADERS.items():
        if en not in positions and not any(e.column == zh for e in errors):
            errors.append(RowError.of(label, 1, zh, "missing_column"))
    if errors:
        raise ImportFailed(errors)

    def column(key: str) -> list[str]:
        i = positions[key]
        return [_text(*r[i]) if i < len(r) else "" for r in body]

    out = pd.DataFrame({key: column(key) for key in HEADERS}, dtype=object)
    # a trailing % or ‰ typed into the cell of a % or ‰ indicator
    unit = out["indicator"].map(lambda c: registry.BY_CODE[c].unit if c in registry.BY_CODE else "")
    for sign in ("%", "‰"):
        typed = out["target"].str.endswith(sign) & (unit == sign)
        out.loc[typed, "target"] = out.loc[typed, "target"].str[:-1].str.strip()
    out.attrs["label"] = label
    return out


# --------------------------------------------------------------------------- checking and saving


# The parameters that name interchange columns, which the template calls by its headers.
_COLUMN_PARAMS = ("col", "key")


def _headers(columns: str) -> str:
    """``year, unit_code`` as the template's headers: ``年度, 单位代码``."""
    return ", ".join(HEADERS.get(c.strip(), c.strip()) for c in columns.split(","))


def _relabel(exc: ImportFailed, label: str) -> ImportFailed:
    """The validation's errors in the template's terms: its label and its Chinese headers."""
    out = []
    for e in exc.errors:
        params = tuple((k, _headers(str(v)) if k in _COLUMN_PARAMS else v) for k, v in e.params)
        column = e.column and _headers(e.column)
        out.append(RowError(label, e.row, column, e.code, e.value, params))
    return ImportFailed(out)


def _checked(conn: Connection, frame: pd.DataFrame, today: date | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows to validate, with empty-target rows blanked so row numbers stay; the clean rows
    with their spreadsheet row). Raises ImportFailed in the template's terms."""
    label = frame.attrs.get("label", DEFAULT_LABEL)
    raw = frame[list(HEADERS)].astype(object).fillna("").astype(str).reset_index(drop=True)
    raw = raw.apply(lambda s: s.str.strip())
    empty = raw["target"] == ""
    vframe = raw.mask(np.repeat(empty.to_numpy()[:, None], raw.shape[1], axis=1), "")
    try:
        clean = validate({"targets": vframe}, conn, today or clock.today(), {"targets": label})["targets"]
    except ImportFailed as exc:
        raise _relabel(exc, label) from None
    clean = clean.assign(row=(np.flatnonzero(~empty.to_numpy()) + 2)) if len(clean) else clean.assign(row=[])
    return vframe, clean


def _stored(conn: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    """Stored own targets for the (year, unit_code) pairs in ``keys``."""
    cols = ["year", "unit_code", "indicator", "target"]
    if keys.empty:
        return pd.DataFrame(columns=cols)
    found = []
    pairs = keys[["year", "unit_code"]].drop_duplicates()
    for key, group in pairs.groupby("year"):
        # A group key has its column's dtype, which the stubs cannot know; the years are ints.
        year = int(cast(int, key))
        codes = group["unit_code"].tolist()
        for i in range(0, len(codes), 500):
            found.append(
                sql_frame(
                    conn,
                    select(targets.c.year, targets.c.unit_code, targets.c.indicator, targets.c.target).where(
                        targets.c.year == year, targets.c.unit_code.in_(codes[i : i + 500])
                    ),
                    cols,
                )
            )
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=cols)


PREVIEW_COLUMNS = ["row", "year", "unit_code", "name", "level", "indicator", "old", "new", "change"]


def preview_changes(conn: Connection, frame: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """What saving ``frame`` (from ``read_template``) would do, one row per filled-in row.

    Columns: row (the spreadsheet row), year, unit_code, name, level, indicator, old (the
    stored own target, NaN if none), new (NaN for a cleared cell), change — ``added``,
    ``changed``, ``unchanged``, or ``kept`` (an empty cell where a target is stored: it stays,
    an empty cell never deletes). Raises ``ImportFailed`` with every bad row, numbered as the
    spreadsheet shows it, exactly as an import would.
    """
    _, clean = _checked(conn, frame, today)
    # cleared cells: a row naming a unit and an indicator but no target
    raw = frame[list(HEADERS)].astype(object).fillna("").astype(str).reset_index(drop=True)
    raw = raw.apply(lambda s: s.str.strip())
    years = pd.to_numeric(raw["year"], errors="coerce")
    blank_target = (raw["target"] == "") & (raw["unit_code"] != "") & (raw["indicator"] != "")
    cleared = raw[blank_target & years.notna() & (years % 1 == 0)]
    cleared = cleared.assign(year=years[cleared.index].astype(int), row=cleared.index + 2)

    keys = pd.concat([clean[["year", "unit_code"]], cleared[["year", "unit_code"]]], ignore_index=True)
    stored_rows = _stored(conn, keys.astype({"year": int}))
    stored = stored_rows.astype({"year": int, "target": float}).set_index(["year", "unit_code", "indicator"])[
        "target"
    ]

    filled = clean.astype({"year": int}).rename(columns={"target": "new"})
    idx = pd.MultiIndex.from_frame(filled[["year", "unit_code", "indicator"]])
    filled["old"] = stored.reindex(idx).to_numpy(float)
    filled["change"] = np.select(
        [np.isnan(filled["old"].to_numpy(float)), filled["old"] != filled["new"]],
        ["added", "changed"],
        "unchanged",
    )
    cidx = pd.MultiIndex.from_frame(cleared[["year", "unit_code", "indicator"]])
    cleared = cleared.assign(new=np.nan, old=stored.reindex(cidx).to_numpy(float))
    cleared = cleared[cleared["old"].notna()].assign(change="kept")
    parts = [f[["row", "year", "unit_code", "indicator", "old", "new", "change"]] for f in (filled, cleared)]
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame()
    )
    if out.empty:
        return pd.DataFrame(columns=PREVIEW_COLUMNS)
    names = sql_frame(
        conn,
        select(units.c.code, units.c.name, units.c.level).where(
            units.c.code.in_(out["unit_code"].unique().tolist())
        ),
        ["code", "name", "level"],
    ).set_index("code")
    out["name"] = out["unit_code"].map(names["name"])
    out["level"] = out["unit_code"].map(names["level"])
    out["row"] = out["row"].astype(int)
    return out[PREVIEW_COLUMNS].sort_values("row").reset_index(drop=True)


def save_targets(engine: Engine, frame: pd.DataFrame, today: date | None = None) -> ImportReport:
    """Write the added and changed targets of ``frame`` in one transaction (``import_frames``).

    Checks again against the database as it is now (what the preview showed may be stale);
    rows that change nothing are not written. Raises ``ImportFailed`` in the template's terms;
    nothing is written then.
    """
    label = frame.attrs.get("label", DEFAULT_LABEL)
    with engine.connect() as conn:
        preview = preview_changes(conn, frame, today)
        vframe, _ = _checked(conn, frame, today)
    write_rows = set(preview.loc[preview["change"].isin(["added", "changed"]), "row"].tolist())
    if not write_rows:
        return ImportReport(rows={}, source=label)
    keep = np.isin(np.arange(len(vframe)) + 2, list(write_rows))
    wframe = vframe.mask(np.repeat(~keep[:, None], vframe.shape[1], axis=1), "")
    try:
        return import_frames(engine, {"targets": wframe}, today=today, source=label, kind="targets")
    except ImportFailed as exc:
        raise _relabel(exc, label) from None


# --------------------------------------------------------------------------- deleting


def own_targets(conn: Connection, root: str, year: int) -> pd.DataFrame:
    """Own targets of ``year`` set on ``root`` and the units below it: unit_code, name, level,
    indicator, target; in tree order."""
    stmt = (
        select(
            units.c.code,
            units.c.name,
            units.c.level,
            targets.c.indicator,
            targets.c.target,
            unit_ancestors.c.depth,
        )
        .join(targets, targets.c.unit_code == units.c.code)
        .join(unit_ancestors, unit_ancestors.c.unit_code == units.c.code)
        .where(unit_ancestors.c.ancestor_code == root, targets.c.year == int(year))
        .order_by(unit_ancestors.c.depth, units.c.code, targets.c.indicator)
    )
    out = sql_frame(conn, stmt, ["unit_code", "name", "level", "indicator", "target", "depth"])
    order = {c: i for i, c in enumerate(registry.CODES)}
    out = out.sort_values(
        ["depth", "unit_code", "indicator"], key=lambda s: s.map(order) if s.name == "indicator" else s
    )
    return out.drop(columns="depth").reset_index(drop=True)


def delete_targets(engine: Engine, year: int, keys: list[tuple[str, str]]) -> int:
    """Delete the own targets (unit_code, indicator) of ``year``; returns how many were deleted.

    The explicit way to remove a target: an empty template cell never does. One transaction,
    under the import's write lock, recorded in the history like every other change.
    """
    if not keys:
        return 0
    ensure_schema(engine)
    started = clock.utc_now()
    name = f"targets {int(year)}"
    log_id = lock.register(engine, kind="deletion", file_name=name, file_hash=None, started_at=started)
    deleted = 0
    with lock.writing(engine, name, log_id) as conn:
        for i in range(0, len(keys), 200):
            chunk = keys[i : i + 200]
            cond = or_(*(and_(targets.c.unit_code == u, targets.c.indicator == ind) for u, ind in chunk))
            result = conn.execute(delete(targets).where(targets.c.year == int(year), cond))
            deleted += result.rowcount or 0
        version = data_version.stamp(conn, "targets")
        history.finish(
            conn,
            log_id,
            started_at=started,
            result="imported",
            added={},
            replaced={"targets": deleted},
            version=version,
        )
    return deleted
