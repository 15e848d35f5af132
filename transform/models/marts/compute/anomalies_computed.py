"""Anomaly flags per athlete, day and kind: `analytics.detect_anomalies` over the wellness baselines."""

from __future__ import annotations

import analytics


def model(dbt, session):
    dbt.config(materialized="table", schema="intermediate")
    return analytics.detect_anomalies(dbt.ref("marts_wellness_baselines").pl())
