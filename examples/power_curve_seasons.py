import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import altair as alt
    import marimo as mo
    import numpy as np
    import polars as pl

    from analytics import STANDARD_DURATIONS, mean_max, to_stream

    import _snapshot as snapshot

    return STANDARD_DURATIONS, alt, mean_max, mo, np, pl, snapshot, to_stream


@app.cell
def _(mo):
    mo.md("""
    # How has my power-duration curve moved across seasons?

    Best average power per duration (mean-maximal power, `analytics.mean_max`) of every ride, from its
    1 Hz power stream (`openfit.activity_samples` resampled by `analytics.to_stream`; efforts never span a
    pause), then the best per athlete, period and duration. Cycling only: running power is another scale.
    The period is the calendar **quarter**; when the rides span fewer than two quarters the notebook
    uses calendar **months** instead, and says so. (`marts.power_curve` has the same curves per calendar
    year, all time and the last 90 days.)
    """)
    return


@app.cell
def _(snapshot):
    rides = snapshot.read(
        """
        select activity_id, athlete_id, local_date
        from openfit.activities
        where sport = 'cycling' and avg_power_w is not null
        order by athlete_id, local_date, activity_id
        """
    )
    samples = snapshot.read(
        """
        select s.activity_id, s.ts, s.power_w
        from openfit.activity_samples s
        join openfit.activities a using (activity_id)
        where a.sport = 'cycling' and a.avg_power_w is not null
        order by s.activity_id, s.ts
        """
    )
    return rides, samples


@app.cell
def _(STANDARD_DURATIONS, mean_max, np, pl, rides, samples, to_stream):
    curves = []
    for (activity_id,), activity_samples in samples.group_by("activity_id", maintain_order=True):
        power = to_stream(activity_samples).channels.get("power")
        if power is None or np.isnan(power).all():
            continue
        curve = mean_max(power, STANDARD_DURATIONS)
        curves.append(
            pl.DataFrame({"activity_id": activity_id, "duration_s": curve.durations_s, "watts": curve.values})
        )
    efforts = (
        pl.concat(curves).filter(pl.col("watts").is_not_nan()).join(rides, on="activity_id")
        if curves
        else pl.DataFrame(
            schema={
                "activity_id": pl.String,
                "duration_s": pl.Int64,
                "watts": pl.Float64,
                "athlete_id": pl.String,
                "local_date": pl.Date,
            }
        )  # fmt: skip
    )
    return (efforts,)


@app.cell
def _(efforts, pl):
    quarter = pl.format("{}-Q{}", pl.col("local_date").dt.year(), pl.col("local_date").dt.quarter())
    month = pl.col("local_date").dt.strftime("%Y-%m")
    period_kind = "quarter" if efforts.select(quarter.n_unique()).item() >= 2 else "month"
    result = (
        efforts.with_columns(period=quarter if period_kind == "quarter" else month)
        .group_by("athlete_id", "period", "duration_s")
        .agg(
            watts=pl.col("watts").max(),
            activity_id=pl.col("activity_id").sort_by("watts", descending=True).first(),
            rides=pl.col("activity_id").n_unique(),
        )
        .with_columns(period_kind=pl.lit(period_kind))
        .sort("athlete_id", "period", "duration_s")
    )
    return period_kind, result


@app.cell
def _(mo, period_kind, pl, result):
    if result.is_empty():
        answer = "The snapshot has no rides with a power stream: there is no power curve to compare."
    else:
        first_last = (
            result.sort("period")
            .group_by("athlete_id", "duration_s")
            .agg(first=pl.col("watts").first(), last=pl.col("watts").last(), periods=pl.len())
            .filter(pl.col("duration_s").is_in([5, 60, 300, 1200]) & (pl.col("periods") >= 2))
            .sort("athlete_id", "duration_s")
        )
        answer = f"Periods are calendar {period_kind}s. " + "; ".join(
            f"{row['athlete_id']} {row['duration_s']} s: {row['first']:.0f} -> {row['last']:.0f} W"
            for row in first_last.iter_rows(named=True)
        )
    mo.vstack([mo.md(answer), result])
    return (answer,)


@app.cell
def _(alt, result):
    chart = (
        alt.Chart(result)
        .mark_line(point=True)
        .encode(
            x=alt.X("duration_s:Q", title="duration (s)", scale=alt.Scale(type="log")),
            y=alt.Y("watts:Q", title="best average power (W)"),
            color=alt.Color("period:O", title="period"),
            tooltip=["athlete_id", "period", "duration_s", "watts", "activity_id", "rides"],
        )
        .properties(width=300, height=240)
        .facet(column=alt.Column("athlete_id:N", title=None))
        .properties(title="Power-duration curve per period")
    )
    chart
    return (chart,)


@app.cell
def _(answer, chart, mo, result, snapshot):
    if mo.app_meta().mode == "script":
        snapshot.write_result("power_curve_seasons", result, chart, answer)
    return


if __name__ == "__main__":
    app.run()
