"""Insights for a period: funnels per workflow, problems per step, searches without results,
article feedback. Counting happens in SQL (sources.py); this module shapes the rows, draws
the charts as SVG on the server and writes the CSV downloads."""
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from helpcenter.agent import sources

DEFAULT_DAYS = 30
TABLES = ("funnels", "problems", "misses", "feedback", "reasons")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included
    zone: ZoneInfo

    @classmethod
    def last_days(cls, today: date, zone: ZoneInfo, days: int = DEFAULT_DAYS) -> "Period":
        return cls(today - timedelta(days=days - 1), today, zone)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC, from midnight to midnight in the agent's zone."""
        start = datetime.combine(self.start, time(), self.zone)
        end = datetime.combine(self.end + timedelta(days=1), time(), self.zone)
        # In UTC: SQLite stores the wall time of a datetime, whatever its zone.
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@dataclass
class FunnelStep:
    step: str
    reached: int
    dropped: int  # runs that reached this step and not the next one
    share: float  # reached / started, 0..1


@dataclass
class Funnel:
    workflow: str
    started: int
    finished: int
    steps: list[FunnelStep] = field(default_factory=list)


@dataclass
class Insights:
    period: Period
    funnels: list[Funnel]
    problems: list[tuple[str, str | None, str, str, int]]
    misses: list[tuple[str, str, int]]
    feedback: list[tuple[int, str, int, int]]
    reasons: list[tuple[int, str, str, str | None, int]]


def _step_order(workflow: str, reached: dict[str, int], step_orders: dict[str, tuple]) -> list[str]:
    known = step_orders.get(workflow, ())
    ordered = [s for s in known if s in reached]
    # Steps the registry does not name yet: most reached first, which is a funnel's order.
    return ordered + sorted((s for s in reached if s not in known), key=lambda s: (-reached[s], s))


def build_funnels(rows, step_orders: dict[str, tuple]) -> list[Funnel]:
    """Funnels from (workflow, step, kind, runs) rows; step_orders: workflow -> its step names in order."""
    started: dict[str, int] = {}
    finished: dict[str, int] = {}
    reached: dict[str, dict[str, int]] = {}
    for workflow, step, kind, runs in rows:
        if kind == "started":
            started[workflow] = runs
        elif kind == "finished":
            finished[workflow] = runs
        elif step:
            reached.setdefault(workflow, {})[step] = runs
    funnels = []
    for workflow in sorted(started):
        counts = reached.get(workflow, {})
        order = _step_order(workflow, counts, step_orders)
        funnel = Funnel(workflow=workflow, started=started[workflow], finished=finished.get(workflow, 0))
        for i, step in enumerate(order):
            following = counts[order[i + 1]] if i + 1 < len(order) else funnel.finished
            funnel.steps.append(FunnelStep(step=step, reached=counts[step], dropped=max(0, counts[step] - following),
                                           share=counts[step] / funnel.started if funnel.started else 0.0))
        funnels.append(funnel)
    return funnels


def gather(db: Session, period: Period, step_orders: dict[str, tuple]) -> Insights:
    """Every aggregate of the insights page, for one period."""
    start, end = period.bounds
    return Insights(period=period, funnels=build_funnels(sources.funnel_counts(db, start, end), step_orders),
                    problems=sources.problem_counts(db, start, end),
                    misses=sources.search_miss_counts(db, start, end),
                    feedback=sources.feedback_counts(db, start, end),
                    reasons=sources.feedback_reasons(db, start, end))


# --- charts ------------------------------------------------------------------------------------

BAR_HEIGHT = 18
LABEL_HEIGHT = 18
GAP = 10
BAR_WIDTH = 360
VALUE_WIDTH = 70


def bar_chart(chart_id: str, title: str, description: str, bars: list[tuple[str, int]]) -> Markup:
    """A horizontal bar chart as inline SVG, each label above its bar: role img with a title and a
    description (the table beside it carries the figures); presentation attributes only, since
    the CSP forbids inline styles."""
    top = max((value for _, value in bars), default=0) or 1
    row = LABEL_HEIGHT + BAR_HEIGHT + GAP
    height = len(bars) * row + GAP
    width = BAR_WIDTH + VALUE_WIDTH
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {w} {h}" '
                    'width="{w}" height="{h}" aria-labelledby="{id}-title {id}-desc">'
                    '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>')
             .format(w=width, h=height, id=chart_id, title=title, desc=description)]
    for i, (label, value) in enumerate(bars):
        y = GAP + i * row
        length = max(1, round(BAR_WIDTH * value / top)) if value else 0
        parts.append(Markup(
            '<text x="0" y="{ly}" font-size="13" fill="#1b1f24">{label}</text>'
            '<rect x="0" y="{by}" width="{len}" height="{h}" fill="#1d4ed8"></rect>'
            '<text x="{vx}" y="{vy}" font-size="13" fill="#1b1f24">{value}</text>').format(
            ly=y + 13, label=escape(label), by=y + LABEL_HEIGHT, len=length, h=BAR_HEIGHT,
            vx=length + 6, vy=y + LABEL_HEIGHT + 14, value=value))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


# --- CSV -------------------------------------------------------------------------------------

def _safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (searches and reasons are typed by visitors)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(v) for v in row])
    return out.getvalue()
