"""Files the app writes: ``xlsx``, the one workbook writer (formats, safe sheet names,
missing values as empty cells). Imports nothing of ours."""
