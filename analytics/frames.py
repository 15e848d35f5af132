"""Polars-frame adapters for the marts: the same functions, applied per athlete over calendar days.

Pure: the caller passes the frames and the end date (no clock, no I/O).
"""

from __future__ import annotations

from datetime import date
from typing import cast

import polars as pl

from ._common import DEFAULTS, choose
from .load import acwr, monotony_strain, pmc


def daily_training_load(
    activity_loads: pl.DataFrame,
    *,
    end_date: date | None = None,
    pmc_convention: str = DEFAULTS["pmc"],
    tsb: str = DEFAULTS["tsb"],
    acwr_method: str = DEFAULTS["acwr"],
    ewma_seed: str = DEFAULTS["ewma_seed"],
    sd: str = DEFAULTS["sd"],
    athlete_col: str = "athlete_id",
    date_col: str = "date",
    load_col: str = "load",
) -> pl.DataFrame:
    """One row per athlete and calendar day, from the athlete's first activity date to `end_date`
    (default: the latest date in the frame), with rest days as load 0.

    Input: one row per activity (athlete, date, load); several activities on a day are summed; a null
    load (no method could score the activity) contributes 0 and is counted in `unscored_activities`.
    Output columns: athlete, date, load, activities, unscored_activities, ctl, atl, tsb, ramp_rate,
    acwr_acute, acwr_chronic, acwr, weekly_load, monotony, strain, and the algorithm names
    (pmc_convention, tsb_alignment, acwr_method, ewma_seed, monotony_sd). Formulas: `pmc`, `acwr`,
    `monotony_strain`. Raises ValueError on a missing column, a negative load or an end_date
    earlier than an athlete's first activity.
    """
    pmc_convention, tsb = choose("pmc", pmc_convention), choose("tsb", tsb)
    acwr_method, ewma_seed, sd = choose("acwr", acwr_method), choose("ewma_seed", ewma_seed), choose("sd", sd)
    missing = [c for c in (athlete_col, date_col, load_col) if c not in activity_loads.columns]
    if missing:
        raise ValueError(f"activity_loads lacks column(s) {missing}")
    frame = activity_loads.select(
        pl.col(athlete_col), pl.col(date_col).cast(pl.Date), pl.col(load_col).cast(pl.Float64)
    )
    if frame[date_col].null_count():
        raise ValueError("activity_loads has rows without a date")
    daily = frame.group_by(athlete_col, date_col).agg(
        pl.col(load_col).fill_null(0.0).sum().alias("load"),
        pl.len().alias("activities"),
        pl.col(load_col).is_null().sum().alias("unscored_activities"),
    )
    columns = [athlete_col, date_col, "load", "activities", "unscored_activities", "ctl", "atl", "tsb",
               "ramp_rate", "acwr_acute", "acwr_chronic", "acwr", "weekly_load", "monotony", "strain",
               "pmc_convention", "tsb_alignment", "acwr_method", "ewma_seed", "monotony_sd"]  # fmt: skip

    def _empty() -> pl.DataFrame:
        # The same column types as a frame with rows: a table created from an empty result must accept later ones.
        types = {"activities": pl.Int64, "unscored_activities": pl.Int64} | {
            c: pl.String
            for c in ("pmc_convention", "tsb_alignment", "acwr_method", "ewma_seed", "monotony_sd")
        }
        schema = {c: types.get(c, pl.Float64) for c in columns}
        return pl.DataFrame(schema=schema | {athlete_col: frame.schema[athlete_col], date_col: pl.Date})

    if frame.is_empty():
        return _empty()
    # The date column is cast to pl.Date above, has rows and no nulls: its min and max are dates.
    last = end_date if end_date is not None else cast(date, frame[date_col].max())
    out = []
    for (athlete,), group in daily.sort(date_col).group_by(athlete_col, maintain_order=True):
        first = cast(date, group[date_col].min())
        if last < first:
            raise ValueError(f"end_date {last} is before athlete {athlete}'s first activity {first}")
        days = pl.DataFrame({date_col: pl.date_range(first, last, "1d", eager=True)})
        series = days.join(group.drop(athlete_col), on=date_col, how="left").with_columns(
            pl.col("load").fill_null(0.0),
            pl.col("activities").fill_null(0).cast(pl.Int64),
            pl.col("unscored_activities").fill_null(0).cast(pl.Int64),
        )
        load = series["load"].to_numpy()
        chart = pmc(load, pmc_convention, tsb)
        ratio = acwr(load, acwr_method, ewma_seed=ewma_seed)
        mono = monotony_strain(load, sd=sd)
        out.append(
            series.with_columns(
                pl.lit(athlete).alias(athlete_col),
                *(pl.Series(k, chart[k]) for k in ("ctl", "atl", "tsb", "ramp_rate")),
                pl.Series("acwr_acute", ratio["acute"]).fill_nan(None),
                pl.Series("acwr_chronic", ratio["chronic"]).fill_nan(None),
                pl.Series("acwr", ratio["ratio"]).fill_nan(None),
                *(pl.Series(k, mono[k]).fill_nan(None) for k in ("weekly_load", "monotony", "strain")),
                pl.lit(pmc_convention).alias("pmc_convention"),
                pl.lit(tsb).alias("tsb_alignment"),
                pl.lit(acwr_method).alias("acwr_method"),
                pl.lit(ewma_seed if acwr_method == "ewma" else None, dtype=pl.String).alias("ewma_seed"),
                pl.lit(sd).alias("monotony_sd"),
            )
        )
    if not out:
        return _empty()
    return pl.concat([o.select(columns) for o in out]).sort(athlete_col, date_col)


__all__ = ["daily_training_load"]
