"""Year-end assessment (年终考核): every unit scored against its target-responsibility contract.

The rules — which indicators count, their points, how partial achievement scores, which
indicators veto (一票否决) — live in a commented TOML file a bureau edits
(``config/assessment.toml``); ``load_rules`` reads and checks it, and refuses a broken or
inconsistent file with a message that names the line. ``assess`` scores every unit of a
level under a root from the indicator engine's long table (``queries.engine.indicators.compute``).

Scoring (also explained in the rules file's comments, for the people who edit it):

* met → the indicator's full points;
* not met, ``met_or_nothing`` → 0;
* not met, ``proportional`` → points × achievement, achievement = value ÷ target when higher
  is better, target ÷ value when lower is better, clipped to [0, 1]; 0 when achievement is
  below the rule's ``floor``, or when the target or value is not positive (a share of a
  negative growth rate means nothing);
* no data (nobody reported the number, or its denominator is 0) → 0 points, and the unit is
  flagged ``no_data_by`` so the page can say why;
* no target for the unit (own or inherited) → the indicator is not counted for that unit:
  neither points nor veto, and the unit's ``max_points`` is lower by the rule's points;
* a veto indicator that is not met vetoes the unit; the sex ratio at birth is "not met"
  when its 95 % interval lies wholly above the line (``queries.engine.stats`` verdict ``high``
  with the unit's target), never on the point value alone — a village whose few births
  merely look high is within chance and counts as met. A significantly *low* ratio
  (interval wholly below 103) is not met either (0 points: the spec's verdict
  ``significantly_low`` is never "met"), but it does not veto: the veto is about high ratios;
* a rule with ``veto_count_above = N`` vetoes on a count instead of on the rate: when the
  rate's shortfall, denominator − numerator (for policy compliance the births out of
  policy), is more than N. A village of 8 births with one out of policy has a rate of
  87.5 %, which says little; "more than 3 out-of-policy births" is what a veto can fairly
  rest on. The points are still scored on the rate.
* rank: 1 is best, by total; units that share a total share a rank; vetoed units rank after
  every unit that is not vetoed, among themselves by total.
* rank change: against last year's assessment under the same rules (the whole of last
  year); positive means the unit moved up.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.engine.verdict import ACHIEVED
from queries.store.config import REPO_ROOT
from queries.store.schema import DATA_LEVELS

__all__ = [
    "DEFAULT_RULES_PATH",
    "LEVELS",
    "Rule",
    "Rules",
    "RulesError",
    "SCORINGS",
    "assess",
    "assessment_summary",
    "load_rules",
    "parse_rules",
]

DEFAULT_RULES_PATH: Path = REPO_ROOT / "config" / "assessment.toml"
LEVELS: tuple[str, ...] = ("township", "village")
# The units each rules level covers.
LEVEL_UNITS: dict[str, tuple[str, ...]] = {"township": ("township",), "village": DATA_LEVELS}
SCORINGS: tuple[str, ...] = ("met_or_nothing", "proportional")
RULE_KEYS: tuple[str, ...] = ("points", "scoring", "floor", "veto", "veto_count_above")
EPS = 1e-9  # achievement compared with the floor, and totals ranked, at this tolerance


@dataclass(frozen=True)
class Rule:
    """How one indicator counts in a level's assessment."""

    indicator: str
    points: float  # 0 only for a veto-only indicator
    scoring: str  # "met_or_nothing" | "proportional"
    floor: float  # proportional: share of the target below which the score is 0 (e.g. 0.8)
    veto: bool
    # veto when denominator − numerator (e.g. births out of policy) is more than this; None:
    # veto on the rate (not met)
    veto_count_above: int | None = None


def count_veto_allowed(code: str) -> bool:
    """Whether ``veto_count_above`` means something for the indicator: a share of a count
    (higher is better) whose denominator − numerator counts cases — births out of policy,
    couples not checked, migrants not served — not a ratio or a rate per thousand."""
    ind = registry.get(code)
    return (
        ind.judged_by == "value"
        and ind.source != "pending"
        and ind.kind == "rate"
        and ind.better == "higher"
        and ind.denominator is not None
    )


@dataclass(frozen=True)
class Rules:
    levels: dict[str, tuple[Rule, ...]]  # "township", "village" ("village" also covers communities)
    source: str = ""  # the file the rules came from, for messages

    def level_rules(self, level: str) -> tuple[Rule, ...]:
        key = level_key(level)
        if key not in self.levels:
            raise RulesError(self.source or "rules", None, f"there are no rules for the level {key!r}")
        return self.levels[key]

    def max_points(self, level: str) -> float:
        """The most a unit of ``level`` can score when every counted indicator has a target."""
        return float(sum(r.points for r in self.level_rules(level)))

    def vetoes(self, level: str) -> tuple[str, ...]:
        return tuple(r.indicator for r in self.level_rules(level) if r.veto)


class RulesError(ValueError):
    """A rules file that cannot be used; ``str()`` names the file and the line."""

    def __init__(self, source: str, line: int | None, message: str):
        self.source = source
        self.line = line
        self.message = message
        where = source if line is None else f"{source} line {line}"
        super().__init__(f"{where}: {message}")


def level_key(level: str) -> str:
    """The rules level of a unit level: a community is assessed as a village."""
    if level == "community":
        return "village"
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


# --------------------------------------------------------------------------- the rules file


def _display(path: Path) -> str:
    """The path as messages show it: relative to the project when it is inside it."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and check the rules file (default ``config/assessment.toml``)."""
    p = Path(path) if path is not None else DEFAULT_RULES_PATH
    name = _display(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise RulesError(name, None, "the rules file does not exist") from None
    except OSError as exc:
        raise RulesError(name, None, f"cannot be read: {exc.strerror or exc}") from None
    # TOML is UTF-8; Notepad on a Chinese Windows may save GBK ("ANSI"), which is read too
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RulesError(name, None, "is neither UTF-8 nor GBK text; save the rules file as UTF-8")
    return parse_rules(text, name)


_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")


def parse_rules(text: str, source: str = "rules") -> Rules:
    """Check rules given as TOML text; ``source`` names them in messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _AT_LINE.search(message)
        line = int(m.group(1)) if m else None
        message = _AT_LINE.sub("", message)
        if "twice" in message or "overwrite" in message:
            message = (
                f"declared a second time ({message}); each indicator may appear only once in a level, "
                "and each key only once in an indicator"
            )
        else:
            message = f"not valid TOML: {message}"
        raise RulesError(source, line, message) from None

    def fail(path: tuple[str, ...], message: str) -> NoReturn:
        raise RulesError(source, _locate(text, path), message)

    levels: dict[str, tuple[Rule, ...]] = {}
    for level, table in doc.items():
        if level not in LEVELS:
            hint = " (communities are assessed with the village rules)" if level == "community" else ""
            fail((level,), f"unknown level {level!r}; the levels are {' and '.join(LEVELS)}{hint}")
        if not isinstance(table, dict):
            fail((level,), f"{level} must be a section of indicator tables, e.g. [{level}.birth_rate]")
        rules = []
        for code, spec in table.items():
            path = (level, code)
            if code not in registry.BY_CODE:
                fail(
                    path,
                    f"unknown indicator code {code!r} in [{level}]; known codes: {', '.join(registry.CODES)}",
                )
            if not isinstance(spec, dict):
                fail(path, f"[{level}.{code}] must be a table with the keys {', '.join(RULE_KEYS)}")
            rules.append(_rule(level, code, spec, fail))
        if not rules:
            fail((level,), f"[{level}] counts no indicator; add at least one [{level}.<indicator>] table")
        levels[level] = tuple(rules)
    for level in LEVELS:
        if level not in levels:
            raise RulesError(
                source, None, f"there are no rules for the level {level}; add [{level}.<indicator>] tables"
            )
    return Rules(levels=levels, source=source)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if np.isfinite(value) else None


def _rule(level: str, code: str, spec: dict, fail: Callable[[tuple[str, ...], str], NoReturn]) -> Rule:
    name = f"[{level}.{code}]"
    for key in spec:
        if key not in RULE_KEYS:
            fail((level, code, key), f"unknown key {key!r} in {name}; the keys are {', '.join(RULE_KEYS)}")
    ind = registry.get(code)

    veto = spec.get("veto", False)
    if not isinstance(veto, bool):
        fail((level, code, "veto"), f"veto must be true or false, not {veto!r}")

    if "points" not in spec:
        fail((level, code), f"{name} has no points; give points = a positive number (0 with veto = true)")
    raw = spec["points"]
    points = _number(raw)
    if points is None or points < 0:
        fail((level, code, "points"), f"points must be a positive number, not {raw!r}")
    if points == 0 and not veto:
        fail(
            (level, code, "points"),
            "points must be a positive number; 0 is allowed only for a veto-only indicator (veto = true)",
        )

    scoring = spec.get("scoring", "met_or_nothing")
    if scoring not in SCORINGS:
        fail((level, code, "scoring"), f"scoring must be one of {', '.join(SCORINGS)}, not {scoring!r}")
    if ind.judged_by == "interval" and scoring != "met_or_nothing":
        fail(
            (level, code, "scoring"),
            f"the {ind.name_en.lower()} is judged by its 95 % interval (met, or significantly above the "
            'target), so it can only be scored "met_or_nothing"',
        )

    if "floor" in spec:
        floor = _number(spec["floor"])
        if floor is None or not 0 <= floor < 1:
            fail(
                (level, code, "floor"),
                f"floor must be a share from 0 up to (not including) 1, e.g. 0.8 for 80 %, not {spec['floor']!r}",
            )
        if scoring != "proportional":
            fail(
                (level, code, "floor"),
                'floor applies only to scoring = "proportional"; remove it or change the scoring',
            )
    else:
        floor = 0.0

    count_above = None
    if "veto_count_above" in spec:
        raw = spec["veto_count_above"]
        where = (level, code, "veto_count_above")
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            fail(where, f"veto_count_above must be a whole number, 0 or more (e.g. 3), not {raw!r}")
        if not count_veto_allowed(code):
            allowed = ", ".join(c for c in registry.CODES if count_veto_allowed(c))
            fail(
                where,
                f"veto_count_above counts what a rate's denominator has beyond its numerator (for "
                f"policy_compliance_rate, the births out of policy); {code} has no such count. It applies "
                f"to: {allowed}",
            )
        if not veto:
            fail(
                where,
                "veto_count_above says when the indicator vetoes, so it needs veto = true in the same table",
            )
        count_above = int(raw)

    if ind.source == "pending" and (points > 0 or veto):
        fail(
            (level, code),
            f"{code} has no data yet (it comes with the data-quality checks); counting it would give every "
            "unit 0 points",
        )
    return Rule(
        indicator=code,
        points=points,
        scoring=scoring,
        floor=float(floor),
        veto=veto,
        veto_count_above=count_above,
    )


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _locate(text: str, path: tuple[str, ...]) -> int | None:
    """The line that defines ``path`` (a table or key), else the line of its nearest parent.

    tomllib reports no lines for values it parsed well, so the text is scanned for the
    table headers and ``key =`` lines (dotted keys and one-line inline tables included).
    """
    best_line, best_depth = None, 0
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            current = _split_key(header.group(1))
            found = current
            inner: list[tuple[str, ...]] = []
        else:
            key = _KEY.match(line)
            if not key:
                continue
            found = current + _split_key(key.group(1))
            # keys of a one-line inline table: name = { points = 10, veto = true }
            rest = line[key.end() :]
            inner = [found + _split_key(k) for k in re.findall(r"""[{,]\s*([A-Za-z0-9_"'.-]+)\s*=""", rest)]
        for candidate in (found, *inner):
            depth = _common(candidate, path)
            if depth == len(path):  # the path itself, or the first table inside it
                return number
            if depth == len(candidate) and depth > best_depth:
                best_line, best_depth = number, depth
    return best_line


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


# --------------------------------------------------------------------------- scoring


def _score_indicator(rule: Rule, rows: pd.DataFrame) -> pd.DataFrame:
    """Per unit: value, target, assessment status, credited share, score, points, veto."""
    ind = registry.get(rule.indicator)
    value = rows["value"].to_numpy(float)
    target = rows["target"].to_numpy(float)
    has_target = ~np.isnan(target)
    has_value = ~np.isnan(value)
    # The engine's one verdict decides: a sex ratio within chance is achieved (honest small
    # numbers), a significantly low one is not, and neither vetoes (the veto is for high ones).
    verdict = rows["verdict"].to_numpy(object)
    met = np.isin(verdict, list(ACHIEVED))
    status = np.select(
        [~has_target, ~has_value, met], ["no_target", "no_data", "met"], default="not_met"
    ).astype(object)

    share = np.where(status == "met", 1.0, 0.0)
    if rule.scoring == "proportional":
        with np.errstate(divide="ignore", invalid="ignore"):
            if ind.better == "higher":
                ratio = np.where(target > 0, value / target, 0.0)
            else:
                ratio = np.where((target > 0) & (value > 0), target / value, 0.0)
        ratio = np.clip(np.nan_to_num(ratio, nan=0.0), 0.0, 1.0)
        partial = np.where(ratio >= rule.floor - EPS, ratio, 0.0)
        share = np.where(status == "not_met", partial, share)
    counted = status != "no_target"
    points = np.where(counted, rule.points, np.nan)
    score = np.where(counted, rule.points * share, np.nan)
    if rule.veto_count_above is not None:
        shortfall = rows["denominator"].to_numpy(float) - rows["numerator"].to_numpy(float)
        veto = counted & has_value & (np.nan_to_num(shortfall, nan=0.0) > rule.veto_count_above)
    else:
        # A significantly low sex ratio fails (0 points) but never vetoes: the veto is for high ones.
        veto = rule.veto & (status == "not_met") & (verdict != "significantly_low")
    out = pd.DataFrame(
        {
            "value": value,
            "target": target,
            "status": status,
            "share": np.where(counted, share, np.nan),
            "score": score,
            "points": points,
            "verdict": verdict,
            "veto": veto,
        },
        index=rows.index,
    )
    if rule.veto_count_above is not None:
        # the count the veto was decided on, for the page and the papers to show
        out["shortfall"] = np.where(has_value, shortfall, np.nan)
    if ind.judged_by == "interval":
        out["ci_low"] = rows["ci_low"].to_numpy(float)
        out["ci_high"] = rows["ci_high"].to_numpy(float)
    return out


def _rank(total: pd.Series, vetoed: pd.Series) -> pd.Series:
    key = total.round(6)
    ok = ~vetoed
    rank = pd.Series(np.nan, index=total.index)
    rank[ok] = key[ok].rank(ascending=False, method="min")
    rank[~ok] = ok.sum() + key[~ok].rank(ascending=False, method="min")
    return rank.astype(int)


def _score(conn: Connection, root: str, period, level: str, rules: Rules, basis: str) -> pd.DataFrame:
    rules_here = rules.level_rules(level)
    codes = tuple(dict.fromkeys(r.indicator for r in rules_here))
    table = compute(conn, root, period, basis, codes=codes)
    table = table[table["level"].isin(LEVEL_UNITS[level])]
    units = table.drop_duplicates("unit_code").set_index("unit_code")[["name", "level", "parent_code"]]
    units = units.sort_index()
    by_code = {
        code: rows.set_index("unit_code").reindex(units.index) for code, rows in table.groupby("indicator")
    }
    parts: dict[str, pd.Series] = {}
    total = np.zeros(len(units))
    max_points = np.zeros(len(units))
    judged = np.zeros(len(units), dtype=int)
    flags: dict[str, list[np.ndarray]] = {"veto_by": [], "no_data_by": [], "no_target_by": []}
    for rule in rules_here:
        rows = by_code.get(rule.indicator)
        if rows is None:
            rows = pd.DataFrame(
                np.nan,
                index=units.index,
                columns=["numerator", "denominator", "value", "target", "ci_low", "ci_high"],
            ).assign(status="no_data", verdict="no_data")
        s = _score_indicator(rule, rows)
        for part in s.columns:
            if part != "veto":
                parts[f"{rule.indicator}|{part}"] = s[part]
        total += s["score"].fillna(0.0).to_numpy()
        max_points += s["points"].fillna(0.0).to_numpy()
        status = s["status"].to_numpy(object)
        judged += np.isin(status, ["met", "not_met"])
        flags["veto_by"].append(np.where(s["veto"].to_numpy(bool), rule.indicator, ""))
        flags["no_data_by"].append(np.where(status == "no_data", rule.indicator, ""))
        flags["no_target_by"].append(np.where(status == "no_target", rule.indicator, ""))

    def joined(columns: list[np.ndarray]) -> list[str]:
        return [",".join(c for c in row if c) for row in zip(*columns, strict=True)] if columns else []

    head = pd.DataFrame(
        {
            "total": total,
            "max_points": max_points,
            "veto_by": joined(flags["veto_by"]),
            "no_data_by": joined(flags["no_data_by"]),
            "no_target_by": joined(flags["no_target_by"]),
            "judged": judged,
        },
        index=units.index,
    )
    head["vetoed"] = head["veto_by"] != ""
    head["rank"] = _rank(head["total"], head["vetoed"]) if len(head) else pd.Series(dtype=int)
    return pd.concat([units, head, pd.DataFrame(parts, index=units.index)], axis=1)


FRONT = [
    "unit_code",
    "name",
    "level",
    "parent_code",
    "rank",
    "total",
    "max_points",
    "vetoed",
    "veto_by",
    "rank_last_year",
    "rank_change",
    "no_data_by",
    "no_target_by",
]


def assess(
    conn: Connection,
    root: str,
    year: int,
    level: str,
    rules: Rules,
    basis: str = "registered",
    as_of: date | None = None,
) -> pd.DataFrame:
    """Every unit of ``level`` under ``root`` scored for ``year`` (through ``as_of``, default 31 Dec).

    One row per unit, best first: unit_code, name, level, parent_code, rank, total, max_points,
    vetoed, veto_by, rank_last_year, rank_change, no_data_by, no_target_by, and per rule
    ``<code>|value``, ``|target``, ``|status`` (met, not_met, no_data, no_target — the sex
    ratio judged by its interval), ``|verdict`` (the engine's one verdict, which the pages
    show), ``|share`` (credited share of the points), ``|score``, ``|points`` (NaN when not
    counted for want of a target); the sex ratio adds ``|ci_low``, ``|ci_high``. ``attrs``
    holds ``provisional`` (as_of before 31 Dec, or the year not yet over by today),
    ``as_of``, ``level`` and ``max_points`` (the rules' maximum).
    """
    key = level_key(level)
    period = make_period(year, as_of)
    now = _score(conn, root, period, key, rules, basis)
    last = None
    if year - 1 >= 1900:
        last = _score(conn, root, make_period(year - 1), key, rules, basis)
    if last is not None and len(last):
        # a unit with nothing judged last year (no data, no targets) had no real rank
        before = last["rank"].where(last["judged"] > 0)
        now["rank_last_year"] = before.reindex(now.index).astype(float)
    else:
        now["rank_last_year"] = np.nan
    now["rank_change"] = now["rank_last_year"] - now["rank"]
    now = now.drop(columns=["judged"]).reset_index(names="unit_code")
    rest = [c for c in now.columns if c not in FRONT]
    now = now[FRONT + rest].sort_values(["rank", "unit_code"], kind="stable").reset_index(drop=True)
    now.attrs.update(
        provisional=period.is_provisional,
        as_of=period.as_of,
        level=key,
        max_points=rules.max_points(key),
        year=int(year),
    )
    return now


def assessment_summary(frame: pd.DataFrame) -> dict:
    """Counts for a summary page: units, vetoed, full marks, mean score (and a little more).

    ``full_marks`` counts units not vetoed that scored every point they could
    (``max_points`` > 0); ``mean_score`` is the mean total over all units (NaN when none).
    """
    n = int(len(frame))
    if n == 0:
        return {
            "units": 0,
            "vetoed": 0,
            "full_marks": 0,
            "mean_score": float("nan"),
            "max_points": float(frame.attrs.get("max_points", float("nan"))),
            "no_data_units": 0,
            "provisional": bool(frame.attrs.get("provisional", False)),
        }
    vetoed = frame["vetoed"].astype(bool)
    full = (~vetoed) & (frame["max_points"] > 0) & (frame["total"] >= frame["max_points"] - EPS)
    return {
        "units": n,
        "vetoed": int(vetoed.sum()),
        "full_marks": int(full.sum()),
        "mean_score": float(frame["total"].mean()),
        "max_points": float(frame.attrs.get("max_points", frame["max_points"].max())),
        "no_data_units": int((frame["no_data_by"] != "").sum()),
        "provisional": bool(frame.attrs.get("provisional", False)),
    }
