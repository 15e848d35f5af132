"""Daily readiness per athlete: `analytics.readiness` over the wellness baselines (each component and weight)."""

from __future__ import annotations

import analytics


def model(dbt, session):
    dbt.config(materialized="table", schema="marts_compute")
    return analytics.readiness(dbt.ref("wellness_baselines_computed").pl())
