"""Daily readiness per athlete: `analytics.readiness` over the wellness baselines (each component and weight)."""

from __future__ import annotations

import analytics


def model(dbt, session):
    dbt.config(materialized="table", schema="intermediate")
    return analytics.readiness(dbt.ref("marts_wellness_baselines").pl())
