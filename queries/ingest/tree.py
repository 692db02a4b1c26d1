"""The unit tree an import would leave: one county at the root, known parents, no cycle,
and each unit under a parent of the right level (``spec.PARENT_LEVEL``).

The tree checked is the stored units with the imported ones laid over them (an imported
unit replaces the stored one of the same code). Units are few (hundreds), so it is checked
with small frames and a few loops over the units at fault, to word their errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from queries.ingest.checking import CELL, Findings, Table
from queries.ingest.spec import PARENT_LEVEL
from queries.ingest.values import isin


def check_tree(found: Findings, t: Table | None, stored: pd.DataFrame) -> pd.DataFrame:
    """Check the tree ``units`` (``t``) would leave over the ``stored`` units (code, level,
    parent_code); return that tree, with each imported unit's spreadsheet ``row``."""
    stored = stored.assign(row=np.nan)
    if t is None or t.broken:
        return stored
    code, level, parent = t.text["code"], t.text["level"], t.text["parent_code"]
    code_ok = t.ok["code"]
    first = code_ok & ~pd.Series(code).duplicated().to_numpy()
    mine = pd.DataFrame(
        {
            "code": code,
            "level": np.where(t.ok["level"], level, np.array(None)),
            "parent_code": np.where(parent != "", parent, np.array(None)),
            "row": t.rows,
        }
    )[first]
    tree = pd.concat([stored[~stored["code"].isin(mine["code"])], mine], ignore_index=True).astype(
        {"code": object, "level": object, "parent_code": object}
    )
    _check_root(found, t, tree, stored)
    known = tree["code"].to_numpy()
    found.add(
        t,
        code_ok & (parent != "") & ~isin(parent, known),
        "parent_code",
        "unknown_parent",
        value=CELL,
        units=t.label,
    )
    on_cycle = _check_cycles(found, t, tree)
    _check_levels(found, t, tree, mine, on_cycle)
    return tree


def _check_root(found: Findings, t: Table, tree: pd.DataFrame, stored: pd.DataFrame) -> None:
    """The county has no parent, every other unit has one, and there is one county."""
    level, parent = t.text["level"], t.text["parent_code"]
    level_ok = t.ok["level"] & t.ok["code"]
    has_parent = parent != ""
    is_county = level == "county"
    found.add(
        t,
        level_ok & is_county & has_parent,
        "parent_code",
        "county_has_parent",
        value=CELL,
    )
    found.add(
        t,
        level_ok & ~is_county & ~has_parent,
        "parent_code",
        "parent_required",
        level=lambda m: level[m],
        parent=lambda m: [PARENT_LEVEL[lv] for lv in level[m]],
    )
    counties = tree.loc[tree["level"] == "county", ["code", "row"]]
    if len(counties) > 1:
        stored_counties = set(stored.loc[stored["level"] == "county", "code"])
        in_file = counties[counties["row"].notna()]
        blamed = in_file[~in_file["code"].isin(stored_counties)] if stored_counties else in_file
        names = counties["code"].tolist()
        reasons = {}
        for c, r in zip(blamed["code"], blamed["row"].astype(int), strict=True):
            # the county the file's one contends with: the stored one, else the file's first other
            other = next(o for o in sorted(names, key=lambda o: o not in stored_counties) if o != c)
            code = "second_root_stored" if other in stored_counties else "second_root"
            reasons[r] = (code, {"value": c, "other": other})
        found.add_by_row(t, "level", reasons)
    elif len(counties) == 0 and len(tree):
        found.add(t, None, "level", "no_county")


def _check_cycles(found: Findings, t: Table, tree: pd.DataFrame) -> np.ndarray:
    """The imported units on a cycle of parents, each error spelling the cycle out."""
    code, code_ok = t.text["code"], t.ok["code"]
    links = tree[tree["parent_code"].notna() & tree["parent_code"].isin(tree["code"])]
    up = pd.Series(links["parent_code"].to_numpy(), index=links["code"].to_numpy(), dtype=object)
    # follow parents 2^k >= n steps; the units still reached are those on a cycle
    reach = up
    for _ in range(int(np.ceil(np.log2(len(tree) + 1))) + 1):
        reach = reach.map(reach).dropna()
    on_cycle = code_ok & isin(code, reach.unique())
    if on_cycle.any():
        parent_of = up.to_dict()

        def cycle(c: str) -> str:
            seq, node = [c], parent_of[c]
            while node != c:
                seq.append(node)
                node = parent_of[node]
            return " → ".join([*seq, c])

        found.add(
            t, on_cycle, "parent_code", "cycle", value=CELL, cycle=lambda m: [cycle(c) for c in code[m]]
        )
    return on_cycle


def _check_levels(
    found: Findings, t: Table, tree: pd.DataFrame, mine: pd.DataFrame, on_cycle: np.ndarray
) -> None:
    """Each unit under a parent of the level ``PARENT_LEVEL`` gives, imported or stored."""
    level = t.text["level"]
    tree = tree.assign(
        parent_level=tree["parent_code"].map(tree.set_index("code")["level"]),
        want=tree["level"].map(PARENT_LEVEL),
    )
    wrong = (
        tree["want"].notna() & tree["parent_level"].notna() & (tree["parent_level"] != tree["want"])
    ).to_numpy()
    in_file = tree["row"].notna().to_numpy()
    found.add_by_row(
        t,
        "parent_code",
        {
            int(r): ("parent_wrong_level", {"value": p, "parent_level": pl, "level": lv, "want": w})
            for r, p, pl, lv, w in tree.loc[
                wrong & in_file, ["row", "parent_code", "parent_level", "level", "want"]
            ].itertuples(index=False)
        },
        within=t.ok["code"] & ~on_cycle,
    )
    # stored units under a unit whose new level no longer fits them
    row_of = dict(zip(mine["code"], mine["row"], strict=True))
    level_at = dict(zip(t.rows.tolist(), level.tolist(), strict=True))
    found.add_by_row(
        t,
        "level",
        {
            row_of[p]: (
                "level_misfits_stored",
                {"value": level_at[row_of[p]], "unit": p, "child": c, "child_level": lv},
            )
            for c, lv, p in tree.loc[wrong & ~in_file, ["code", "level", "parent_code"]].itertuples(
                index=False
            )
            if p in row_of
        },
    )
