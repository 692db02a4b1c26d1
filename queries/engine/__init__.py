"""The indicator engine: what every number means and how it is judged.

- ``registry``: the one list of indicators (names, units, direction, numerator and
  denominator as expressions over measures, how each is judged), statuses and verdicts'
  labels, symbols and colours. A new indicator is one entry here.
- ``period``: a year to an as-of date, its provisional state, the same day last year.
- ``stats``: intervals and the sex ratio's chance bands.
- ``verdict``: the one verdict of a value (status, pace, significance): every page, map,
  paper and export shows what it decides.
- ``indicators``: every indicator for every unit of a subtree, from the measures
  ``queries.analytics.read`` returns, with targets inherited down the tree.

``registry``, ``period``, ``stats`` and ``verdict`` import only ``queries.store``;
``indicators`` also reads ``queries.analytics``. Nothing outside this package names an
indicator code (tests and configuration aside).
"""
