"""Server-rendered HTML for people: Jinja2 templates (autoescaped), no JavaScript, Vietnamese by
default, readable on a phone.

This module turns the fleet's data into what the templates under ``player/hub/templates/``
show: numbers, sizes and times formatted in the page's language (its words are in
``page_text``, the plots' geometry in ``plot``). No HTML is built here: every value reaches the
page through a template, which escapes it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup

from player.hub import triage
from player.hub.config import AlertLimits
from player.hub.fleet import ClusterDetail, ClusterStatus, EventLine, Fleet, PlayCount
from player.hub.foresight_text import forecast_values
from player.hub.page_text import TEXT

LANGS = ("vi", "en")
HERE = Path(__file__).resolve().parent
try:
    from zoneinfo import ZoneInfo
    LOCAL: Any = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # no tz database on this machine: Vietnam has kept UTC+7 since 1975
    LOCAL = timezone(timedelta(hours=7))
# Times outside this span are shown as "invalid" instead of crashing the page (a device stamped
# 9999-12-31, or 1970 on a box without a battery clock).
EARLIEST, LATEST = 946684800.0, 4102444800.0  # 2000-01-01, 2100-01-01
RANGES = {"24h": 1, "7d": 7, "30d": 30, "1y": 365}
DEFAULT_RANGE = "7d"


def pick_lang(query: Any) -> str:
    """The page language from a query mapping (``?lang=en``); Vietnamese otherwise."""
    value = query.get("lang") if hasattr(query, "get") else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value in LANGS else "vi"


def pick_range(query: Any) -> str:
    """The plots' range from ``?range=24h|7d|30d|1y`` (or an older link's ``?days=1|7|30|365``)."""
    value = query.get("range") if hasattr(query, "get") else None
    if isinstance(value, list):
        value = value[0] if value else None
    if value in RANGES:
        return value
    days = query.get("days") if hasattr(query, "get") else None
    return next((key for key, count in RANGES.items() if str(count) == days), DEFAULT_RANGE)


class Page:
    """Formats values in one language; templates reach it as ``p``. Returns plain text:
    escaping is the template's job."""

    def __init__(self, lang: str, now: float | None = None, path: str = "/",
                 query: dict[str, str] | None = None):
        self.lang = lang if lang in LANGS else "vi"
        self.t = TEXT[self.lang]
        self.now = time.time() if now is None else now
        self.path = path
        self.query = {k: v for k, v in (query or {}).items() if k != "lang"}

    def text(self, key: str, **values: object) -> str:
        return self.t[key].format(**{k: self.number(v) if isinstance(v, float) else v
                                     for k, v in values.items()})

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None or not math.isfinite(value):
            return "–"
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
        return text.replace(".", ",") if self.lang == "vi" else text

    def size(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return "–"
        for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if abs(value) >= factor:
                return f"{self.number(value / factor)} {unit}"
        return f"{self.number(value, 0)} B"

    def when(self, timestamp: float | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        if timestamp is None:
            return self.t["none"]
        if not EARLIEST <= timestamp <= LATEST:
            return self.t["invalid_time"]
        return datetime.fromtimestamp(timestamp, LOCAL).strftime(fmt)

    def iso(self, text: object) -> str:
        """An ISO 8601 time from a device, shown in local time (as given when unreadable)."""
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            return str(text)[:40]
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.when(moment.timestamp())

    def ago(self, timestamp: float | None) -> str:
        if timestamp is None:
            return self.t["none"]
        if not math.isfinite(timestamp):
            return self.t["invalid_time"]
        seconds = max(0.0, self.now - timestamp)
        if seconds < 60:
            return self.t["just_now"]
        if seconds < 3600:
            return self.text("minutes_ago", n=int(seconds // 60))
        if seconds < 86400 * 2:
            return self.text("hours_ago", n=int(seconds // 3600))
        return self.text("days_ago", n=int(seconds // 86400))

    def span(self, seconds: float) -> str:
        if not math.isfinite(seconds):
            return "–"
        seconds = abs(seconds)
        if seconds < 2 * 3600:
            return self.text("minutes", n=max(1, int(seconds // 60)))
        if seconds < 2 * 86400:
            return self.text("hours", n=int(seconds // 3600))
        return self.text("days", n=min(int(seconds // 86400), 10**6))

    def duration(self, seconds: float) -> str:
        if not math.isfinite(seconds) or seconds < 0:
            return "–"
        minutes, secs = divmod(int(round(seconds)), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def link(self, path: str, **params: str) -> str:
        """A link on this site in this page's language."""
        query = {k: v for k, v in params.items() if v}
        if self.lang == "en":
            query["lang"] = "en"
        return path + ("?" + urlencode(query) if query else "")

    def switch_link(self) -> str:
        query = dict(self.query)
        if self.t["switch_lang"] == "en":
            query["lang"] = "en"
        return self.path + ("?" + urlencode(query) if query else "")

    def cluster_link(self, cluster_id: str, **params: str) -> str:
        return self.link(f"/clusters/{quote(cluster_id, safe='')}", **params)

    def screenshot_src(self, c: ClusterStatus) -> str:
        return f"/clusters/{quote(c.id, safe='')}/screenshot.jpg?t={int(c.screenshot_time or 0)}"

    def problem(self, problem: triage.Problem) -> str:
        values = dict(problem.values)
        if problem.code in ("offline", "stale"):
            values = {"ago": self.ago(values.get("since"))}
        elif problem.code == "disk":
            values = {"value": self.size(values["value"]), "limit": self.size(values["limit"])}
        elif problem.code == "outdated" and values.get("release") is None:
            values["release"] = self.t["none"]
        elif problem.code == "clock":
            values = {"delta": self.span(values["seconds"])}
        elif problem.code.startswith("forecast_"):
            values = forecast_values(self, values)
        text = self.text("problem_" + problem.code, **values)
        if problem.code == "display" and problem.level != triage.DARK:
            text += " " + self.t["display_off_note"]
        return text

    def verdict_label(self, verdict: triage.Verdict) -> str:
        """The card's badge: the level when something is wrong (its problems say why below),
        else what the screen does (playing, off by schedule, never reported)."""
        if verdict.level in (triage.DARK, triage.WARNING):
            return self.t["level_" + verdict.level]
        return self.t["status_" + verdict.status]

    def action(self, problem: triage.Problem) -> str:
        return self.t["do_" + problem.code]

    def event(self, event: EventLine) -> triage.EventText:
        return triage.describe_event(event, self.lang)


@dataclass(frozen=True)
class ClusterCard:
    """A cluster with its verdict, as the fleet page lists it."""

    status: ClusterStatus
    verdict: triage.Verdict


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: values from clusters are hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    env.globals["css"] = Markup((HERE / "static" / "hub.css").read_text(encoding="utf-8"))
    env.globals["LEVELS"] = triage.LEVELS
    env.globals["RANGES"] = tuple(RANGES)
    return env


def render(template: str, page: Page, **context: Any) -> str:
    """Render one template with the common context (``p``, the user, the CSRF token)."""
    context.setdefault("user", None)
    context.setdefault("csrf_token", "")
    context.setdefault("refresh", False)
    return environment().get_template(template).render(p=page, **context)


def render_fleet(fleet: Fleet, lang: str, limits: AlertLimits | None = None, **context: Any) -> str:
    """The fleet page: counters per level, then one card per cluster, the worst first."""
    page = Page(lang, fleet.generated, "/")
    judged = triage.order(fleet.clusters, limits or AlertLimits())
    cards = [ClusterCard(c, v) for c, v in judged]
    return render("fleet.html", page, cards=cards,
                  counts=triage.counts([card.verdict for card in cards]), refresh=True, **context)


def render_cluster(detail: ClusterDetail, lang: str, now: float,
                   limits: AlertLimits | None = None, range_key: str = "", **context: Any) -> str:
    """One cluster: verdict, facts, screenshot, history plots, proof of play, events."""
    limits = limits or AlertLimits()
    range_key = range_key if range_key in RANGES else _range_for_days(detail.days)
    c = detail.status
    page = Page(lang, now, f"/clusters/{quote(c.id, safe='')}",
                {"range": range_key} if range_key != DEFAULT_RANGE else {})
    start = now - detail.days * 86400
    rows = detail.history
    from player.hub.foresight_page import cluster_section, visit_times
    from player.hub.plot import plot

    markers, label = visit_times(detail.foresight), page.t["visit_marker"]
    plots = [
        ("temperature", plot([(r[0], r[1]) for r in rows], start, now, "°C", page,
                             limits.max_temperature, markers=markers, marker_label=label)),
        ("humidity", plot([(r[0], r[2]) for r in rows], start, now, "%", page,
                          limits.max_humidity, (0, 100), markers=markers, marker_label=label)),
        ("disk_free_gb", plot([(r[0], None if r[3] is None else r[3] / 1e9) for r in rows],
                              start, now, "GB", page, limits.min_disk_free / 1e9, (0, None),
                              markers=markers, marker_label=label)),
    ]
    return render("cluster.html", page, card=ClusterCard(c, triage.assess(c, limits)),
                  foresight=cluster_section(detail.foresight, page, context.get("user")),
                  plots=plots, range_key=range_key, plays=detail.plays_period,
                  play_total=_total(detail.plays_period), refresh=True, **context)


def _range_for_days(days: int) -> str:
    return next((key for key, value in RANGES.items() if value == days), DEFAULT_RANGE)


def _total(plays: tuple[PlayCount, ...]) -> PlayCount:
    return PlayCount("", sum(p.plays for p in plays), sum(p.seconds for p in plays))


def render_error(status: int, message: str, lang: str, **context: Any) -> str:
    page = Page(lang)
    key = "not_found" if status == 404 else "error"
    return render("error.html", page, status=status, heading=page.t[key], message=message,
                  **context)


__all__ = ["Page", "render", "render_fleet", "render_cluster", "render_error",
           "pick_lang", "pick_range", "RANGES", "LANGS"]
