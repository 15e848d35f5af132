import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import math

    import altair as alt
    import marimo as mo
    import polars as pl

    from analytics.wellness import HRV_SWC_SD

    import _snapshot as snapshot

    return HRV_SWC_SD, alt, math, mo, pl, snapshot


@app.cell
def _(mo):
    mo.md("""
    # Does HRV drop after hard days, and for how long?

    Daily training load (`marts.daily_training_load`, every calendar day, rest days 0) against overnight HRV
    (`openfit.wellness_daily.hrv_rmssd_ms`, the preferred source per day) on the same and the next days.
    A night is dated by the day it ends, so **lag 0 is the night before the training day**, lag 1 the night
    after it. HRV is compared on the log scale (ln RMSSD), as a deviation from each athlete's own mean, so
    athletes with a naturally high HRV do not dominate.

    - `r`: Pearson correlation of the day's load (centred per athlete) with ln RMSSD `lag_days` later.
    - Hard days: a load in the athlete's top quarter of training days (load > 0).
    - `hrv_change_pct`: HRV after hard days relative to after the other days; `hrv_change_sd` the same in
      SDs of the athlete's daily ln RMSSD. A drop of at least the smallest worthwhile change
      (`analytics.wellness.HRV_SWC_SD` SD, Plews et al. 2012) counts as meaningful.
    """)
    return


@app.cell
def _(snapshot):
    daily = snapshot.read(
        """
        select l.athlete_id, l."date", l."load", w.hrv_rmssd_ms
        from marts.daily_training_load l
        left join openfit.wellness_daily w using (athlete_id, "date")
        order by l.athlete_id, l."date"
        """
    )
    return (daily,)


@app.cell
def _(daily, pl):
    by_athlete = "athlete_id"
    ln_rmssd = pl.col("hrv_rmssd_ms").log()
    prepared = daily.with_columns(
        load_c=(pl.col("load") - pl.col("load").mean()).over(by_athlete),
        hrv_dev=(ln_rmssd - ln_rmssd.mean()).over(by_athlete),
        hrv_sd=ln_rmssd.std().over(by_athlete),
        hard=(pl.col("load") >= pl.col("load").filter(pl.col("load") > 0).quantile(0.75)).over(by_athlete),
    )
    return (prepared,)


@app.cell
def _(HRV_SWC_SD, math, pl, prepared):
    rows = []
    for lag in range(4):
        # Each athlete's calendar is complete (one row per day), so a shift within the athlete is a shift in days.
        pairs = prepared.with_columns(
            hrv_later=pl.col("hrv_dev").shift(-lag).over("athlete_id"),
            sd_later=pl.col("hrv_sd").shift(-lag).over("athlete_id"),
        ).drop_nulls(["hrv_later", "sd_later", "load_c"])
        hard, other = pairs.filter(pl.col("hard")), pairs.filter(~pl.col("hard"))
        row = {"lag_days": lag, "pairs": pairs.height, "hard_days": hard.height, "r": None,
               "hrv_change_pct": None, "hrv_change_sd": None, "meaningful_drop": None}  # fmt: skip
        if hard.height and other.height:  # otherwise there is nothing to compare: the row says so with nulls
            change_ln = hard["hrv_later"].mean() - other["hrv_later"].mean()
            change_sd = (hard["hrv_later"] / hard["sd_later"]).mean() - (
                other["hrv_later"] / other["sd_later"]
            ).mean()
            row |= {
                "r": pairs.select(pl.corr("load_c", "hrv_later")).item(),
                "hrv_change_pct": 100 * (math.exp(change_ln) - 1),
                "hrv_change_sd": change_sd,
                "meaningful_drop": change_sd <= -HRV_SWC_SD,
            }
        rows.append(row)
    result = pl.DataFrame(rows)
    return (result,)


@app.cell
def _(mo, result):
    drops = result.filter("meaningful_drop")["lag_days"].to_list()
    if result["hrv_change_sd"].is_null().all():
        answer = "The snapshot has too few days with both a training load and an HRV reading to compare."
    elif drops:
        answer = (
            f"HRV is meaningfully lower after hard days at lag(s) {', '.join(map(str, drops))} "
            f"(days after the training day; lag 0 is the night before it)."
        )
    else:
        answer = "No lag shows a drop of HRV after hard days as large as the smallest worthwhile change."
    mo.vstack([mo.md(answer), result])
    return (answer,)


@app.cell
def _(alt, result):
    chart = (
        alt.Chart(result)
        .mark_bar()
        .encode(
            x=alt.X("lag_days:O", title="days after the training day (0 = the night before)"),
            y=alt.Y("hrv_change_pct:Q", title="HRV after hard days vs other days (%)"),
            color=alt.Color("meaningful_drop:N", title="drop >= SWC"),
            tooltip=["lag_days", "pairs", "hard_days", "r", "hrv_change_pct", "hrv_change_sd"],
        )
        .properties(title="Overnight HRV after hard training days", width=420, height=260)
    )
    chart
    return (chart,)


@app.cell
def _(answer, chart, mo, result, snapshot):
    if mo.app_meta().mode == "script":
        snapshot.write_result("hrv_after_hard_days", result, chart, answer)
    return


if __name__ == "__main__":
    app.run()
