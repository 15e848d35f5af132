import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import altair as alt
    import marimo as mo
    import polars as pl

    from analytics import bland_altman

    import _snapshot as snapshot

    return alt, bland_altman, mo, pl, snapshot


@app.cell
def _(mo):
    mo.md("""
    # Do my watch and my ring agree on resting heart rate?

    Every source's daily values are kept side by side in `openfit.wellness_daily_by_source`. For each athlete
    with both a watch and a ring, the days on which both measured resting HR are paired and compared with a
    Bland-Altman analysis (`analytics.bland_altman`): the **bias** is the mean of watch − ring, and the
    **95 % limits of agreement** are bias ± 1.96 SD of the differences. If the limits are narrower than the
    change you care about (a few bpm), the devices can be used interchangeably after removing the bias.
    """)
    return


@app.cell
def _(snapshot):
    paired = snapshot.read(
        """
        with by_type as (
            select w.athlete_id, w."date", d.device_type, avg(w.resting_hr) as resting_hr
            from openfit.wellness_daily_by_source w
            join openfit.devices d using (device_id)
            where d.device_type in ('watch', 'ring') and w.resting_hr is not null
            group by all
        )
        pivot by_type on device_type in ('watch', 'ring') using first(resting_hr) group by athlete_id, "date"
        order by athlete_id, "date"
        """
    )
    return (paired,)


@app.cell
def _(bland_altman, paired, pl):
    rows = []
    for (athlete_id,), days in paired.group_by("athlete_id", maintain_order=True):
        agreement = bland_altman(days["watch"], days["ring"])
        if agreement.n >= 2:
            rows.append({"athlete_id": athlete_id, **{k: getattr(agreement, k) for k in agreement.__slots__}})
    columns = {"athlete_id": pl.String, "n": pl.Int64, "bias": pl.Float64, "sd": pl.Float64,
               "loa_lower": pl.Float64, "loa_upper": pl.Float64}  # fmt: skip
    result = pl.DataFrame(rows, schema=columns).rename(
        {
            "n": "days",
            "bias": "bias_bpm",
            "sd": "sd_bpm",
            "loa_lower": "loa_lower_bpm",
            "loa_upper": "loa_upper_bpm",
        }
    )
    both = paired.drop_nulls(["watch", "ring"]).with_columns(
        mean_bpm=(pl.col("watch") + pl.col("ring")) / 2, diff_bpm=pl.col("watch") - pl.col("ring")
    )
    return both, result


@app.cell
def _(mo, result):
    if result.is_empty():
        answer = "No athlete has a watch and a ring that both measured resting HR on at least two days."
    else:
        answer = "; ".join(
            f"{row['athlete_id']}: watch − ring {row['bias_bpm']:+.1f} bpm, 95 % of days within "
            f"{row['loa_lower_bpm']:+.1f} to {row['loa_upper_bpm']:+.1f} bpm ({row['days']} days)"
            for row in result.iter_rows(named=True)
        )
    mo.vstack([mo.md(answer), result])
    return (answer,)


@app.cell
def _(alt, both, result):
    # One data set for the facets: each day's point with its athlete's bias and limits beside it.
    days_with_limits = both.join(result, on="athlete_id")
    points = (
        alt.Chart()
        .mark_circle(opacity=0.6)
        .encode(
            x=alt.X("mean_bpm:Q", title="mean of watch and ring (bpm)", scale=alt.Scale(zero=False)),
            y=alt.Y("diff_bpm:Q", title="watch − ring (bpm)"),
            tooltip=["date:T", "watch:Q", "ring:Q"],
        )
    )
    rules = [
        alt.Chart().mark_rule(color=color, strokeDash=dash).encode(y=f"mean({column}):Q")
        for column, color, dash in [
            ("bias_bpm", "black", [1, 0]),
            ("loa_lower_bpm", "firebrick", [4, 3]),
            ("loa_upper_bpm", "firebrick", [4, 3]),
        ]
    ]
    chart = (
        alt.layer(points, *rules, data=days_with_limits)
        .facet(column=alt.Column("athlete_id:N", title=None))
        .properties(title="Resting heart rate: watch vs ring (Bland-Altman; bias solid, 95 % limits dashed)")
    )
    chart
    return (chart,)


@app.cell
def _(answer, chart, mo, result, snapshot):
    if mo.app_meta().mode == "script":
        snapshot.write_result("watch_vs_ring_resting_hr", result, chart, answer)
    return


if __name__ == "__main__":
    app.run()
