"""What the assessment and targets pages show, as plain tables (no streamlit here).

``ranking_table`` turns ``queries.services.assessment.assess``'s frame into the page's ranking (one
score column per counted indicator, localised headers); ``unit_breakdown`` is one unit's
score indicator by indicator; ``rules_table`` explains a level's rules; ``assessment_export``
is the flat download. The pages style these; the command line may reuse them.
"""

from __future__ import annotations

import math

import pandas as pd

from dashboard.i18n import TEXT, indicator_name, t, verdict_label
from queries.engine import registry
from queries.services.assessment import Rule

SCORE_SYMBOLS = {k: s.symbol for k, s in registry.VERDICT.items()}


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def rank_change_text(change) -> str:
    """▲ 3 moved up three places, ▼ 2 down two, ＝ the same, — no rank last year."""
    if not _finite(change):
        return "—"
    n = int(round(float(change)))
    return f"▲ {n}" if n > 0 else f"▼ {-n}" if n < 0 else "＝"


def veto_text(veto_by: str, lang: str) -> str:
    codes = [c for c in str(veto_by or "").split(",") if c]
    if not codes:
        return ""
    sep = "、" if lang == "zh" else ", "
    return "✘ " + sep.join(indicator_name(c, lang) for c in codes)


def codes_of(frame: pd.DataFrame) -> list[str]:
    """The indicators the assessment frame scores, in the rules' order."""
    return [c[: -len("|verdict")] for c in frame.columns if c.endswith("|verdict")]


def score_header(rule: Rule, lang: str) -> str:
    name = indicator_name(rule.indicator, lang)
    if rule.points == 0:
        return f"{name}（{t('as_veto_only', lang)}）"
    return f"{name}（{rule.points:g}）"


def ranking_table(frame: pd.DataFrame, rules: tuple[Rule, ...], lang: str) -> pd.DataFrame:
    """The ranking as shown: rank, change, unit, total, max, veto, then a score per indicator
    (NaN where the indicator is not counted for the unit; veto-only indicators show their
    verdict instead, since they carry no points)."""
    out = pd.DataFrame(
        {
            t("rank", lang): frame["rank"].astype(int).to_numpy(),
            t("as_rank_change", lang): frame["rank_change"].map(rank_change_text).to_numpy(),
            t("unit", lang): frame["name"].to_numpy(),
            t("as_total", lang): frame["total"].astype(float).round(2).to_numpy(),
            t("as_max", lang): frame["max_points"].astype(float).to_numpy(),
            t("as_veto", lang): frame["veto_by"].map(lambda v: veto_text(v, lang)).to_numpy(),
        }
    )
    for rule in rules:
        header = score_header(rule, lang)
        if rule.points == 0:
            out[header] = frame[f"{rule.indicator}|verdict"].map(lambda s: verdict_label(s, lang)).to_numpy()
        else:
            out[header] = frame[f"{rule.indicator}|score"].astype(float).round(2).to_numpy()
    return out


def status_text(row: pd.Series, code: str, lang: str) -> str:
    """The engine's verdict, with the interval after it for an indicator judged by interval."""
    text = verdict_label(row.get(f"{code}|verdict"), lang)
    if registry.get(code).judged_by == "interval" and _finite(row.get(f"{code}|ci_low")):
        fmt = registry.get(code).format
        text += (
            f"（{t('sex_ratio_interval', lang)} {fmt(row[f'{code}|ci_low'])}–{fmt(row[f'{code}|ci_high'])}）"
        )
    shortfall = row.get(f"{code}|shortfall")
    if _finite(shortfall):
        text += f"（{t('as_shortfall_count', lang, what=shortfall_name(code, lang), n=int(round(float(shortfall))))}）"
    return text


def shortfall_name(code: str, lang: str) -> str:
    """What ``veto_count_above`` counts for an indicator: births out of policy, couples not
    checked…; else the plain denominator − numerator."""
    key = f"as_shortfall_{code}"
    if key in TEXT:
        return t(key, lang)
    ind = registry.get(code)
    if lang == "zh":
        return t("as_shortfall_generic", lang, den=ind.denominator_zh, num=ind.numerator_zh)
    return t("as_shortfall_generic", lang, den=ind.denominator_en, num=ind.numerator_en)


def veto_rule_text(rule: Rule, lang: str) -> str:
    """How the rule vetoes: on the rate (not met) or on a count (more than N)."""
    if rule.veto_count_above is not None:
        return t(
            "as_veto_count_rule", lang, what=shortfall_name(rule.indicator, lang), n=rule.veto_count_above
        )
    return t("as_veto_rule", lang)


def vetoed_by(row: pd.Series, code: str) -> bool:
    """Whether ``code`` vetoed the unit — as the assessment decided it, not re-derived from
    the status (a count veto, or a significantly low sex ratio, differ from "not met")."""
    return code in str(row.get("veto_by") or "").split(",")


def scoring_text(rule: Rule, lang: str) -> str:
    if rule.scoring == "proportional":
        return t("as_scoring_proportional", lang, floor=f"{rule.floor:.0%}")
    return t("as_scoring_met_or_nothing", lang)


def unit_breakdown(row: pd.Series, rules: tuple[Rule, ...], lang: str) -> pd.DataFrame:
    """One unit's score, indicator by indicator: value, target, status, credited share,
    score, points and whether it vetoed."""
    records = []
    for rule in rules:
        code = rule.indicator
        ind = registry.get(code)
        share = row.get(f"{code}|share")
        score = row.get(f"{code}|score")
        points = row.get(f"{code}|points")
        vetoed = vetoed_by(row, code)
        records.append(
            {
                t("as_indicator", lang): ind.name(lang),
                t("value", lang): ind.format(row.get(f"{code}|value")),
                t("target", lang): ind.format(row.get(f"{code}|target")),
                t("verdict", lang): status_text(row, code, lang),
                t("as_share", lang): f"{float(share):.1%}" if _finite(share) and rule.points else "—",
                t("as_score", lang): f"{float(score):.2f}" if _finite(score) and rule.points else "—",
                t("as_points", lang): (
                    t("as_veto_only", lang)
                    if rule.points == 0
                    else f"{float(points):g}"
                    if _finite(points)
                    else t("as_not_counted", lang)
                ),
                t("as_scoring", lang): scoring_text(rule, lang),
                t("as_veto", lang): ("✘ " + t("as_vetoed", lang))
                if vetoed
                else (veto_rule_text(rule, lang) if rule.veto else ""),
            }
        )
    return pd.DataFrame(records)


def rules_table(rules: tuple[Rule, ...], lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("as_indicator", lang): [indicator_name(r.indicator, lang) for r in rules],
            t("code", lang): [r.indicator for r in rules],
            t("as_points", lang): [r.points for r in rules],
            t("as_scoring", lang): [scoring_text(r, lang) for r in rules],
            t("as_veto", lang): ["✘ " + veto_rule_text(r, lang) if r.veto else "" for r in rules],
        }
    )


def assessment_export(frame: pd.DataFrame, rules: tuple[Rule, ...], lang: str = "zh") -> pd.DataFrame:
    """The assessment as a flat table for CSV/Excel: per indicator value, target, status, score."""
    out = pd.DataFrame(
        {
            t("code", lang): frame["unit_code"],
            t("unit", lang): frame["name"],
            t("rank", lang): frame["rank"],
            t("as_rank_last_year", lang): frame["rank_last_year"],
            t("as_total", lang): frame["total"].round(4),
            t("as_max", lang): frame["max_points"],
            t("as_veto", lang): frame["veto_by"].map(lambda v: veto_text(v, lang).lstrip("✘ ")),
        }
    )
    for rule in rules:
        code, ind = rule.indicator, registry.get(rule.indicator)
        name = indicator_name(code, lang)
        out[f"{name} {t('value', lang)}"] = frame[f"{code}|value"].astype(float).round(ind.decimals + 2)
        out[f"{name} {t('target', lang)}"] = frame[f"{code}|target"].astype(float)
        out[f"{name} {t('verdict', lang)}"] = frame[f"{code}|verdict"].map(lambda s: verdict_label(s, lang))
        out[f"{name} {t('as_score', lang)}"] = frame[f"{code}|score"].astype(float).round(4)
    return out
