"""`target` for sqlfluff's jinja templater: the writer's profile target (transform/profiles.yml), as dbt names it."""

name = "warehouse"
type = "duckdb"
database = "warehouse"
schema = "main"
threads = 2
