"""The one query layer shared by the REST API, the MCP server and the dashboards.

No SQL lives in routes, tools or pages: they call the functions re-exported here.
"""
