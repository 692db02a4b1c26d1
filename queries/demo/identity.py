"""Who the demo county is, apart from how it is generated: the app tells the demo county
(which gets invented boundaries) from a bureau's own by these, without loading the generator."""

from __future__ import annotations

import pandas as pd

COUNTY_CODE = "330781"
COUNTY_NAME = "澄川市"  # invented


def is_demo_county(units: pd.DataFrame) -> bool:
    """Whether ``units`` (code, name, parent_code) is the demo county's tree."""
    root = units[units["parent_code"].isna()]
    return len(root) == 1 and root["code"].iloc[0] == COUNTY_CODE and root["name"].iloc[0] == COUNTY_NAME
