"""The agent pages: console, trails, requests, insights. Vendor staff only; 404 for anyone else."""
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from babel.dates import format_datetime
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from helpcenter.agent import insights, operations, sources
from helpcenter.agent.forms import AnswerForm, ArticleSearchForm, PeriodForm, WorkflowLinkForm
from helpcenter.agent.links import find_articles, seat_count_in, workflow_link
from helpcenter.auth import error_items
from helpcenter.db import get_session
from helpcenter.help.store import get_store
from helpcenter.i18n import current_language, localized_blueprint, money, number
from helpcenter.staff import current_staff

bp = localized_blueprint("agent", __name__, url_prefix="/agent", static_folder="static",
                         static_url_path="/static")

REFERENCE_RE = re.compile(r"HC-[A-Z0-9]{6,12}\Z")
REQUESTS_PER_PAGE = 25
TIME_FORMATS = {"en": "d MMMM y, HH:mm:ss", "fr": "d MMMM y, HH 'h' mm 'min' ss 's'"}
WORKFLOW_LABELS = {"seats": _l("Change the number of seats"), "payment": _l("Update the payment details")}
# The money figures of a quote event, in the order the review page shows them.
MONEY_FIGURES = ("credit", "charge", "net", "tax", "total", "balance_applied", "due")
FIGURE_LABELS = {
    "credit": _l("Credit for unused time"), "charge": _l("New period"), "net": _l("Net"), "tax": _l("VAT"),
    "total": _l("Total"), "balance_applied": _l("Balance applied"), "due": _l("Total due"),
}


@bp.before_request
def _staff_only():
    # Every page, and the console's own assets, exist only for signed-in staff.
    if current_staff() is None:
        abort(404)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _workflows() -> dict:
    """The registered workflows (helpcenter.workflow.register): their steps in order, with titles."""
    return current_app.extensions["workflows"]


@bp.app_template_global()
def step_label(workflow: str, step: str | None) -> str:
    """A step's title as its page shows it (the code when the workflow no longer has that step)."""
    known = _workflows().get(workflow)
    title = next((s.title for s in known.steps if s.name == step), None) if known else None
    return str(title) if title is not None else (step or "")


def _step_orders() -> dict[str, tuple]:
    return {name: tuple(s.name for s in workflow.steps) for name, workflow in _workflows().items()}


@bp.app_template_global()
def workflow_label(workflow: str) -> str:
    return str(WORKFLOW_LABELS.get(workflow, workflow))


@bp.app_template_global()
def reason_label(code: str) -> str:
    """What a reader chose after a "No" (help.forms.MISSING_REASONS), in the page's language."""
    from helpcenter.help.forms import MISSING_REASONS
    return next((str(choice.label) for choice in MISSING_REASONS if choice.value == code), code)


@bp.app_template_global()
def figure_label(name: str) -> str:
    return str(FIGURE_LABELS.get(name, name))


@bp.app_template_filter()
def agent_time(value: datetime | None) -> str:
    """A moment in the signed-in agent's time zone, with the zone named."""
    if value is None:
        return ""
    zone = operations.zone_of(current_staff())
    lang = current_language()
    shown = format_datetime(operations.as_utc(value), TIME_FORMATS.get(lang, TIME_FORMATS["en"]),
                            tzinfo=zone, locale=lang)
    return f"{shown} ({zone.key})"


@bp.app_template_filter()
def without_card_numbers(value: str | None) -> str:
    """Text a customer typed, with anything that looks like a card number hidden."""
    return sources.without_secrets(value or "")


@bp.app_template_filter()
def agent_money(value, currency: str | None) -> str:
    """An amount recorded as text in a trail, formatted for the page (as typed when it is not a number)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return money(amount, currency) if currency else number(amount)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- console --------------------------------------------------------------------------------

@bp.get("/")
def console():
    """Search both languages at once; build links to articles, sections, steps and workflows."""
    search = ArticleSearchForm(request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    matches = find_articles(get_store(), query) if query else []
    builder = WorkflowLinkForm(request.args) if "workflow" in request.args else WorkflowLinkForm(formdata=None)
    link = None
    if "workflow" in request.args and builder.validate():
        lang = None if builder.link_lang.data == "neutral" else builder.link_lang.data
        link = workflow_link(get_session(), builder.workflow.data, builder.product.data or None,
                             builder.quantity.data, lang)
    errors = error_items(builder) if "workflow" in request.args else []
    return render_template("agent/console.html", search=search, query=query, matches=matches, builder=builder,
                           link=link, errors=errors, has_errors=bool(errors), seat_count_in=seat_count_in,
                           ), 400 if errors else 200


@bp.get("/runs/")
def find_run():
    """The console's "find a trail" form: to the trail's page."""
    reference = (request.args.get("reference") or "").strip().upper()[:20]
    return redirect(url_for("agent.trail", reference=reference or "-"), 303)


# --- trails -------------------------------------------------------------------------------

@bp.get("/runs/<reference>")
def trail(reference):
    """What the customer saw in one workflow run; every view is recorded in their account's audit trail."""
    canonical = reference.strip().upper()
    if canonical != reference and REFERENCE_RE.match(canonical):
        return redirect(url_for("agent.trail", reference=canonical), 301)
    page = None
    if REFERENCE_RE.match(reference):
        page = operations.view_trail(get_session(), current_staff(), reference, ip=request.remote_addr, now=_now())
    if page is None:
        return render_template("agent/no_such_reference.html", reference=reference[:40]), 404
    return render_template("agent/trail.html", page=page, trail=page.trail, secret_fields=sources.SECRET_FIELDS,
                           money_figures=MONEY_FIGURES)


# --- requests -----------------------------------------------------------------------------

@bp.get("/requests")
def requests_page():
    """"Still need help?" requests, newest first, a page at a time."""
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100000 else 1
    db = get_session()
    rows, total = sources.list_requests(db, page, REQUESTS_PER_PAGE)
    pages = max(1, -(-total // REQUESTS_PER_PAGE))
    if page > pages:
        abort(404)
    return render_template("agent/requests.html", rows=rows, total=total, page=page, pages=pages,
                           traced=sources.existing_references(db, [r.reference for r in rows]),
                           accounts=operations.account_names(db, [r.account_id for r in rows]),
                           answer_form=AnswerForm())


@bp.post("/requests/<int:request_id>/answered")
def mark_answered(request_id):
    """Mark one request answered (POST with CSRF), then back to the list."""
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    req = operations.mark_answered(get_session(), current_staff(), request_id, ip=request.remote_addr, now=_now())
    if req is None:
        abort(404)
    flash(_("Request from %(email)s marked as answered.", email=req.email), "success")
    target = request.form.get("page", "1")
    return redirect(url_for("agent.requests_page", page=target if target.isdigit() else 1,
                            _anchor=f"request-{request_id}"), 303)


# --- insights -----------------------------------------------------------------------------

def _period() -> tuple[PeriodForm, insights.Period]:
    form = PeriodForm(request.args)
    zone = operations.zone_of(current_staff())
    today = datetime.now(zone).date()
    default = insights.Period.last_days(today, zone)
    if not form.validate():
        return form, default
    start = form.start.data or (form.end.data - (default.end - default.start) if form.end.data else default.start)
    end = form.end.data or max(start, default.end)
    if (end - start).days >= 366:
        start, end = default.start, default.end
    return form, insights.Period(start, end, zone)


@bp.get("/insights")
def insights_page():
    """Funnels, problems per step, searches without results and feedback for a period (30 days by default)."""
    form, period = _period()
    errors = error_items(form)
    data = insights.gather(get_session(), period, _step_orders())
    return render_template("agent/insights.html", form=form, data=data, period=period, errors=errors,
                           has_errors=bool(errors), bar_chart=insights.bar_chart, article_title=_article_title,
                           funnel_bars=_funnel_bars, feedback_bars=_feedback_bars), 400 if errors else 200


def _funnel_bars(funnel: insights.Funnel) -> list[tuple[str, int]]:
    return ([(_("Started"), funnel.started)] + [(step_label(funnel.workflow, s.step), s.reached) for s in funnel.steps]
            + [(_("Finished"), funnel.finished)])


def _feedback_bars(rows) -> list[tuple[str, int]]:
    """The ten least helpful articles (answers "No")."""
    return [(f"{_article_title(article_id, lang)} ({lang})", no) for article_id, lang, _yes, no in rows[:10]]


@bp.get("/insights/<table>.csv")
def insights_csv(table):
    """One table of the insights page as CSV, for the same period."""
    if table not in insights.TABLES:
        abort(404)
    form, period = _period()
    if form.errors:
        abort(400)
    data = insights.gather(get_session(), period, _step_orders())
    header, rows = _csv_rows(table, data)
    body = insights.to_csv(header, rows)
    name = f"{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv_rows(table: str, data: insights.Insights):
    if table == "funnels":
        return (["workflow", "step", "reached", "dropped", "share_of_started", "started", "finished"],
                [(f.workflow, s.step, s.reached, s.dropped, f"{s.share:.3f}", f.started, f.finished)
                 for f in data.funnels for s in f.steps])
    if table == "problems":
        return ["workflow", "step", "kind", "what", "count"], data.problems
    if table == "misses":
        return ["lang", "query", "count"], data.misses
    if table == "feedback":
        return ["article_id", "lang", "helpful", "not_helpful"], data.feedback
    return ["article_id", "lang", "reason", "text", "count"], data.reasons


def _article_title(article_id: int, lang: str) -> str:
    article = get_store().resolve(article_id, lang)
    return article.title if article is not None else f"#{article_id}"
