"""Anomaly flags per athlete, day and kind: `analytics.detect_anomalies` over the wellness baselines."""

from __future__ import annotations

import analytics


def model(dbt, session):
    dbt.config(materialized="table", schema="marts_compute")
    return analytics.detect_anomalies(dbt.ref("wellness_baselines_computed").pl())
