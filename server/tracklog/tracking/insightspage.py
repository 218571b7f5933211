"""The insights page: the period's opens by hour, funnel and users' rates, drawn as SVG charts."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from tracklog.tracking.charts import (
    RATE_LABELS,
    STEP_LABELS,
    funnel_chart,
    heat_map,
    machine_hits_text,
    percent,
    user_rates_chart,
    weekday_names,
)
from tracklog.tracking.insights import PERIODS, account_users, insights, read_scope

insights_page = Blueprint("insights", __name__, url_prefix="/insights")


@insights_page.get("")
@login_required
def overview() -> str:
    """Opens by weekday and hour, the funnel beside the machine hits, and each user's rates."""
    scope = read_scope(current_user, request.args)
    numbers = insights(current_user, scope)
    users = account_users(current_user.account_id) if current_user.is_admin else []
    return render_template(
        "tracking/insights.html",
        scope=scope,
        periods=PERIODS,
        users=users,
        numbers=numbers,
        heat_map=heat_map(numbers["opens_by_hour"]),
        funnel=funnel_chart(numbers["funnel"]),
        machine_hits=machine_hits_text(numbers["machine_hits"]),
        user_rates=user_rates_chart(numbers["per_user"]) if numbers["per_user"] else None,
        weekdays=weekday_names(),
        step_labels=STEP_LABELS,
        rate_labels=RATE_LABELS,
        percent=percent,
    )
