"""The message catalogue: every code an import gives is worded in English and Chinese, and
errors group so that a hundred thousand bad rows fit on one screen."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.load import import_frames
from queries.ingest.messages import GROUPED, LEVEL_PARAMS, MESSAGES, placeholders, reason_text, shown
from queries.ingest.spec import SPEC, TABLE_NAMES
from queries.store.schema import LEVELS
from tests.ingest.test_import import TODAY, county, frames_of

INGEST = Path(__file__).resolve().parents[2] / "queries" / "ingest"
# read.py's reasons are converted by the reading helper; values.py words no message;
# checking.py and errors.py pass the checks' codes on.
NOT_SCANNED = {"messages.py", "__init__.py", "checking.py", "errors.py"}
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------- every code used is catalogued


def _assigned(func: ast.AST, name: str) -> list[ast.expr]:
    """What ``name`` is bound to in ``func``: plain assignments, and a ``for a, b in ((..), ..)``."""
    out: list[ast.expr] = []
    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                out.append(node.value)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Tuple):
            names = [e.id if isinstance(e, ast.Name) else None for e in node.target.elts]
            if name in names and isinstance(node.iter, (ast.Tuple, ast.List)):
                i = names.index(name)
                out += [e.elts[i] for e in node.iter.elts if isinstance(e, ast.Tuple)]
    return out


def _codes(expr: ast.expr, func: ast.AST, where: str) -> list[str]:
    """The message codes ``expr`` can be: a literal, either side of ``a if c else b``, or a
    local variable bound to those."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        return _codes(expr.body, func, where) + _codes(expr.orelse, func, where)
    if isinstance(expr, ast.Name):
        if isinstance(func, ast.FunctionDef) and expr.id in {a.arg for a in func.args.args}:
            return []  # a helper passing its caller's code on; the caller's call is scanned
        if any(
            isinstance(n, ast.comprehension)
            and expr.id in {x.id for x in ast.walk(n.target) if isinstance(x, ast.Name)}
            for n in ast.walk(func)
        ):
            return []  # a code taken from what a scanner yields (read_workbook): asserted below
        bound = _assigned(func, expr.id)
        assert bound, f"{where}: cannot tell which message code {expr.id!r} is"
        return [c for b in bound for c in _codes(b, func, where)]
    raise AssertionError(f"{where}: a message code must be a literal, not {ast.unparse(expr)}")


def _owners(owner: dict[ast.AST, ast.AST], scope: ast.AST, node: ast.AST) -> None:
    """Fill ``owner``: every node below ``node`` -> its innermost function (or the module)."""
    for child in ast.iter_child_nodes(node):
        owner[child] = scope
        _owners(owner, child if isinstance(child, ast.FunctionDef) else scope, child)


def _used_codes() -> dict[str, str]:
    """Every message code the import's modules (but read.py) give, with where it is used."""
    used: dict[str, str] = {}
    for path in sorted(INGEST.glob("*.py")):
        if path.name in NOT_SCANNED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner: dict[ast.AST, ast.AST] = {}
        _owners(owner, tree, tree)
        for node, func in owner.items():
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            exprs: list[ast.expr] = []
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in ("add", "of", "RowError") and len(node.args) >= 4:
                    exprs.append(node.args[3])  # (table/file, mask/row, column, code, ...)
                elif name == "_fail" and len(node.args) >= 2:
                    exprs.append(node.args[1])
            elif (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 2
                and isinstance(node.elts[0], (ast.Constant, ast.Name, ast.IfExp))
                and isinstance(node.elts[1], ast.Dict)
            ):
                exprs.append(node.elts[0])  # add_by_row's (code, params)
            for e in exprs:
                if isinstance(e, ast.Attribute):  # e.code: an error passed on, already coded
                    continue
                for code in _codes(e, func, where):
                    used.setdefault(code, where)
    return used


def test_every_code_the_import_gives_is_in_the_catalogue():
    used = _used_codes()
    assert len(used) >= 40, sorted(used)  # the scan sees the checks, not a few stray calls
    assert {"not_a_date", "duplicate_key", "cycle", "unknown_unit", "too_long", "database_refused"} <= set(
        used
    )
    not_codes = {c: w for c, w in used.items() if not CODE.match(c)}
    assert not not_codes, f"finished text instead of a message code: {not_codes}"
    missing = {c: w for c, w in used.items() if c not in MESSAGES}
    assert not missing, f"codes without a message in messages.MESSAGES: {missing}"
    assert set(GROUPED.values()) <= set(MESSAGES)
    assert {"error_cell", "formula_without_value"} <= set(MESSAGES)  # read_workbook's cell scan


# --------------------------------------------------------------------------- every message in both languages


def _sample(name: str, spec: str) -> object:
    if name in LEVEL_PARAMS:
        return "village"
    return 1234 if "," in spec or spec.endswith("d") else "x"


def _fields(template: str) -> dict[str, str]:
    return {n: spec for _, n, spec, _ in string.Formatter().parse(template) if n}


# The ASCII words a Chinese message may hold: file, table, column and level names, formats.
ZH_ASCII = (
    set(TABLE_NAMES)
    | {c.name for cols in SPEC.values() for c in cols}
    | set(LEVELS)
    | {"YYYY", "MM", "DD", "UTF", "xlsx", "zip", "csv", "CSV", "GBK", "GB18030", "Excel", "WPS"}
    | {"import_max_file_mb", "import_max_rows", "import_max_unpacked_mb", "import_max_ratio"}  # settings
)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_formats_in_english_and_chinese(code):
    en, zh = MESSAGES[code]
    assert en.strip() and zh.strip(), f"{code} lacks a template"
    if re.search(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", "", en)):  # words, not only punctuation
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{code}: the Chinese template is not Chinese: {zh!r}"
    fields = {**_fields(en), **_fields(zh)}
    base = {n.removesuffix("_a") if n.removesuffix("_a") in LEVEL_PARAMS else n for n in fields}
    assert base - {"value"} == placeholders(code) - {"value"}
    # Chinese needs nothing English does not give (English may add a plural "s")
    assert set(_fields(zh)) <= set(_fields(en)) | {
        "level",
        "parent",
        "parent_level",
        "want",
        "child_level",
        "letters_zh",  # column letters joined the Chinese way
        "n",  # a count English words ("twice")
    }
    params = {n: _sample(n, fields.get(n, fields.get(n + "_a", ""))) for n in placeholders(code) - {"value"}}
    for lang in ("en", "zh"):
        for value in ("v", None):
            text = reason_text(code, lang, value, params)
            assert "{" not in text and text.strip(), (code, lang, text)
    # a command-line option (--allow-duplicates) is a name, like a file's
    words = set(re.findall(r"[A-Za-z][A-Za-z_0-9]+", re.sub(r"\{[^}]*\}|--[a-z-]+", "", zh)))
    assert words <= ZH_ASCII, f"{code}: English words in the Chinese message: {words - ZH_ASCII}"


def test_levels_are_worded_in_each_language():
    params = {"parent_level": "village", "level": "village", "want": "township"}
    e = RowError.of("units.csv", 6, "parent_code", "parent_wrong_level", "V1", **params)
    assert e.text("en") == (
        "units.csv row 6, column parent_code: parent 'V1' is a village; a village's parent must be a township"
    )
    assert e.text("zh") == "units.csv 第 6 行，parent_code 列：上级 “V1” 是村；村的上级应是乡镇（街道）"


def test_a_quoted_cell_shows_control_characters_and_is_cut():
    assert shown("East\x00Town\u200b") == "East\\x00Town\\u200b"
    assert shown("李\ud800") == "李\\ud800"
    long = shown("名" * 200)
    assert len(long) == 40 and long.endswith("…")


# --------------------------------------------------------------------------- a real import, both languages


def _bad_births(n: int) -> dict[str, pd.DataFrame]:
    data = county()
    frames = frames_of(data)
    births = pd.DataFrame(
        {
            "birth_id": [f"X{i}" for i in range(n)],
            "unit_code": "V1",
            "birth_date": "2024-13-01",
            "sex": "F",
            "birth_order": "1",
            "in_policy": "1",
            "registered": "1",
            "resident": "1",
        }
    )
    frames["births"] = births
    return frames


def test_a_bad_cell_reads_in_chinese_without_english(sqlite_engine):
    with pytest.raises(ImportFailed) as info:
        import_frames(sqlite_engine, _bad_births(1), today=TODAY)
    (err,) = info.value.errors
    assert (
        err.text("en")
        == "births.csv row 2, column birth_date: '2024-13-01' is not a date; dates are written year first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日"
    )
    assert (
        err.text("zh")
        == "births.csv 第 2 行，birth_date 列：“2024-13-01” 不是日期；日期须年份在前，写作 YYYY-MM-DD、YYYY-M-D、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日"
    )


def test_a_hundred_thousand_bad_dates_are_one_line(sqlite_engine):
    with pytest.raises(ImportFailed) as info:
        import_frames(sqlite_engine, _bad_births(100_000), today=TODAY)
    assert len(info.value.errors) == 100_000
    assert info.value.lines("en") == [
        "births.csv, column birth_date: is not a date; dates are written year first: YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D or YYYY年M月D日 — 100,000× (rows 2, 3, 4, 5, 6 …); "
        "first value '2024-13-01'"
    ]
    assert info.value.lines("zh") == [
        "births.csv birth_date 列：不是日期；日期须年份在前，写作 YYYY-MM-DD、YYYY-M-D、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日——100,000 处（第 2, 3, 4, 5, 6 … 行）；"
        "首个错误值 “2024-13-01”"
    ]


def test_duplicates_group_whatever_rows_the_copies_are_on(sqlite_engine):
    frames = frames_of(county())
    frames["deaths"] = pd.concat([frames["deaths"]] * 3, ignore_index=True)  # each id three times
    with pytest.raises(ImportFailed) as info:
        import_frames(sqlite_engine, frames, today=TODAY)
    assert "duplicate death_id 'D1' (also on rows 5, 8)" in str(info.value.errors[0])
    (line,) = info.value.lines("en")
    assert (
        line
        == "deaths.csv, column death_id: duplicate death_id — 9× (rows 2, 3, 4, 5, 6 …); first value 'D1'"
    )


def test_many_kinds_of_error_still_fit_on_a_screen():
    errors = [
        RowError.of("units.csv", None, f"c{i}", "unknown_column", f"c{i}", label="units.csv", columns="code")
        for i in range(100)
    ]
    lines = ImportFailed(errors).lines("en")
    assert len(lines) == 31
    assert lines[-1] == "… and 70 more kinds of error (70 errors)"
    assert ImportFailed(errors).lines("zh")[-1] == "……另有 70 类错误（共 70 处）"


def test_a_groups_reason_reads_without_the_value():
    errors = [
        RowError.of("births.csv", r, "unit_code", "unknown_unit", f"V{r}", units="units.csv") for r in (2, 3)
    ]
    assert ImportFailed(errors).lines("zh") == [
        "births.csv unit_code 列：未知的单位代码：units.csv 和数据库中都没有——2 处（第 2, 3 行）；首个错误值 “V2”"
    ]
    assert ImportFailed(errors).lines("en") == [
        "births.csv, column unit_code: unknown unit_code: not in units.csv nor in the database — 2× (rows 2, 3); "
        "first value 'V2'"
    ]
