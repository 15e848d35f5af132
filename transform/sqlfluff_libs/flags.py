"""`flags` for sqlfluff's jinja templater: an ordinary (incremental) run."""

FULL_REFRESH = False
