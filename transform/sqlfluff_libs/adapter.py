"""`adapter` for sqlfluff's jinja templater: an empty warehouse, as on a first build (optional_source renders its
"table does not exist yet" branch, int_changed_activities its full-refresh branch)."""

from typing import Any


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def get_relation(
    database: str | None = None, schema: str | None = None, identifier: str | None = None
) -> None:
    return None


def get_columns_in_relation(relation: Any) -> list[Any]:
    return []
