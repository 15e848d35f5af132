import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import altair as alt
    import marimo as mo
    import polars as pl

    from analytics.wellness import ACWR_THRESHOLD, RAMP_THRESHOLD

    import _snapshot as snapshot

    return ACWR_THRESHOLD, RAMP_THRESHOLD, alt, mo, pl, snapshot


@app.cell
def _(ACWR_THRESHOLD, RAMP_THRESHOLD, mo):
    mo.md(
        f"""
        # Which weeks broke the ramp-rate and ACWR guidance?

        From `marts.daily_training_load` (CTL, ramp rate and ACWR as the build computed them, with the
        settings in `meta.build_info`). The guidance is the one the anomaly flags use (`analytics.wellness`):

        - **ramp rate**: CTL rising more than **{RAMP_THRESHOLD:g}** per week (CTL today − CTL 7 days ago);
        - **ACWR**: acute:chronic workload ratio above **{ACWR_THRESHOLD:g}** (Gabbett 2016).

        A week (Monday to Sunday) breaks a rule when any of its days does. CTL starts from zero on an athlete's
        first day, so during the first 42 days (the CTL time constant) the ramp rate mostly measures the
        series starting, not a real build-up: those weeks are marked `ctl_settling`. Weeks after an
        athlete's last activity are left out (the series only decays there).
        """
    )
    return


@app.cell
def _(snapshot):
    daily = snapshot.read(
        """
        select athlete_id, "date", "load", activities, ctl, ramp_rate, acwr
        from marts.daily_training_load
        order by athlete_id, "date"
        """
    )
    return (daily,)


@app.cell
def _(ACWR_THRESHOLD, RAMP_THRESHOLD, daily, pl):
    first_day = pl.col("date").min().over("athlete_id")
    last_active = pl.col("date").filter(pl.col("activities") > 0).max().over("athlete_id")
    weeks = (
        daily.filter(pl.col("date") <= last_active)
        .with_columns(
            week_start=pl.col("date").dt.truncate("1w"),
            settling=(pl.col("date") - first_day).dt.total_days() < 42,
        )
        .group_by("athlete_id", "week_start")
        .agg(
            days=pl.len(),
            load=pl.col("load").sum(),
            ctl_end=pl.col("ctl").last(),
            max_ramp_rate=pl.col("ramp_rate").max(),
            max_acwr=pl.col("acwr").max(),
            ramp_days=(pl.col("ramp_rate") > RAMP_THRESHOLD).sum(),
            acwr_days=(pl.col("acwr") > ACWR_THRESHOLD).sum(),
            ctl_settling=pl.col("settling").any(),
        )
        .with_columns(
            ramp_broken=pl.col("ramp_days") > 0,
            acwr_broken=pl.col("acwr_days") > 0,
        )
        .sort("athlete_id", "week_start")
    )
    return (weeks,)


@app.cell
def _(mo, pl, weeks):
    broken = weeks.filter(pl.col("ramp_broken") | pl.col("acwr_broken"))
    settled = broken.filter(~pl.col("ctl_settling"))
    if weeks.is_empty():
        answer = "The snapshot has no training weeks."
    else:
        answer = (
            f"{broken.height} of {weeks.height} athlete-weeks broke the guidance "
            f"({broken['ramp_broken'].sum()} on ramp rate, {broken['acwr_broken'].sum()} on ACWR); "
            f"{settled.height} of them after CTL had settled (42 days in)."
        )
    mo.vstack([mo.md(answer), broken])
    return (answer,)


@app.cell
def _(ACWR_THRESHOLD, RAMP_THRESHOLD, alt, pl, weeks):
    long = weeks.unpivot(
        index=["athlete_id", "week_start", "ctl_settling"], on=["max_ramp_rate", "max_acwr"],
        variable_name="measure", value_name="value",
    ).with_columns(
        threshold=pl.when(pl.col("measure") == "max_ramp_rate").then(RAMP_THRESHOLD).otherwise(ACWR_THRESHOLD)
    )  # fmt: skip
    base = alt.Chart().encode(x=alt.X("week_start:T", title="week"))
    chart = (
        alt.layer(
            base.mark_line(point=True).encode(
                y=alt.Y("value:Q", title=None),
                color=alt.Color("athlete_id:N"),
                tooltip=["athlete_id", "week_start:T", "value:Q", "ctl_settling"],
            ),
            base.mark_rule(color="firebrick", strokeDash=[4, 3]).encode(y="mean(threshold):Q"),
            data=long,
        )
        .facet(row=alt.Row("measure:N", title=None))
        .resolve_scale(y="independent")
        .properties(title="Weekly maximum CTL ramp rate and ACWR against the guidance (dashed)")
    )
    chart
    return (chart,)


@app.cell
def _(answer, chart, mo, snapshot, weeks):
    if mo.app_meta().mode == "script":
        snapshot.write_result("ramp_and_acwr_weeks", weeks, chart, answer)
    return


if __name__ == "__main__":
    app.run()
