"""One blueprint factory for every workflow: URLs, guard, page frame, state and errors.

`register(app, workflow)` gives a workflow /<lang>/wizard/<name>/ (start: a redirect to the
first step that applies), /<lang>/wizard/<name>/<step> for each step, and the language-neutral
/wizard/<name>/. Every step view goes through the same guard (signed in, the run is the
contact's own, the step is reachable: else a redirect to the first pending step), then calls
the step's handler with a StepContext, whose helpers do the rest the same way for every
workflow: URLs that carry the run, the optimistic lock, the page frame (step list, back link,
article excerpt, reference code), the trail's events.
"""
import logging
from datetime import datetime, timezone

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden, NotFound

from helpcenter import transaction
from helpcenter.auth import current_contact
from helpcenter.billing import errors as billing_errors
from helpcenter.billing import accounts
from helpcenter.db import get_session
from helpcenter.help.store import article_url, step_html
from helpcenter.i18n import LANGUAGES, localized_blueprint, preferred_language
from helpcenter.workflow import events
from helpcenter.workflow.engine import Progress, Step, Workflow
from helpcenter.workflow.models import WorkflowRun, new_reference

log = logging.getLogger(__name__)

RUN_ID_MAX = 64
# Unfinished runs kept per contact and workflow: the oldest beyond this are dropped.
MAX_OPEN_RUNS = 10

STALE_NOTICE = _l("This workflow was changed in another tab or window after this page was shown, so what you sent was not used. Here is its current state: check it and continue.")
EXPIRED_SESSION_NOTICE = _l("You were signed out after a period without activity. Sign in again to continue where you were: what you entered is kept.")

# Flask-WTF's descriptions for a well-signed token that is not this session's.
STALE_TOKEN_ERRORS = ("The CSRF session token is missing.", "The CSRF tokens do not match.")


class StepContext:
    """What a step handler works with: the run, the contact, and the engine's helpers."""

    def __init__(self, workflow: Workflow, step: Step, progress: Progress, prefill: dict):
        self.workflow = workflow
        self.step = step
        self.progress = progress
        self.prefill = prefill

    @property
    def run(self) -> WorkflowRun | None:
        return self.progress.run

    @property
    def contact(self):
        return self.progress.contact

    @property
    def session(self):
        return get_session()

    @property
    def clock(self):
        return current_app.extensions["clock"]

    @property
    def seller_country(self) -> str:
        return current_app.config["SELLER_COUNTRY"]

    def load(self, name: str):
        return self.progress.load(name)

    # --- URLs and redirects -------------------------------------------------------

    def endpoint(self, step: Step) -> str:
        return f"{self.workflow.blueprint}.{step.endpoint}"

    def url(self, step: Step | str, **kwargs) -> str:
        """The URL of a step of this workflow, carrying the run (or, before there is one, the prefill)."""
        step = self.workflow.step(step) if isinstance(step, str) else step
        args = dict(kwargs)
        if self.run is not None:
            args["run"] = self.run.id
        else:
            args.update(self.prefill)
        return url_for(self.endpoint(step), **args)

    def redirect(self, step: Step | str | None = None, **kwargs):
        """303 to a step, or to the first pending one."""
        if step is None:
            self.progress.forget()
            step = self.workflow.first_pending(self.progress)
        return redirect(self.url(step, **kwargs), 303)

    def article_url(self, article_id: int, anchor: str | None = None) -> str:
        return article_url(article_id, g.lang, anchor=anchor)

    # --- the run and its optimistic lock -------------------------------------------

    def revision_ok(self) -> bool:
        """The form was made from the run as it is now (not from an outdated tab)."""
        return self.run is not None and request.form.get("revision", "") == str(self.run.revision)

    def stale(self, step: Step | str | None = None):
        """A submit from an outdated page: nothing is changed; show the current state."""
        transaction.rollback(get_session(), "a submit from an outdated page changes nothing, though it gets a redirect")
        flash(str(STALE_NOTICE), "warning")
        return self.redirect(step or self.step)

    def save(self, **values) -> bool:
        """Store values on the run and commit; False (nothing of the request kept) when another
        request changed the run meanwhile."""
        session = get_session()
        if values:
            self.run.update(**values)
        try:
            session.add(self.run)
            transaction.commit_now(session, "the run's new revision: a twin submit is stale at once, and the run's "
                                            "row lock is never held while a billing operation locks the account")
        except StaleDataError:
            transaction.rollback(session, "the run changed meanwhile: this submit changes nothing")
            return False
        self.progress.forget()
        return True

    def start_run(self, **values) -> WorkflowRun:
        """The run this visit works on: the contact's untouched one of this workflow, or a new one."""
        if self.run is None:
            self.progress.run = _open_run(self.workflow, self.contact, self.prefill)
        if values:
            self.run.update(**values)
        return self.run

    def finish(self, **detail) -> None:
        """The workflow's final action succeeded: the run is not reused; a `finished` event."""
        self.run.finished_at = datetime.now(timezone.utc)
        self.record("finished", **detail)

    # --- the trail -------------------------------------------------------------------

    def record(self, kind: str, **detail) -> None:
        """One event of this run's trail (added to the session; committed with the request's work)."""
        if self.run is not None:
            events.record(get_session(), self.run, kind, self.step.name, detail)

    # --- pages ---------------------------------------------------------------------

    def render(self, template: str, status: int = 200, form=None, errors=None, **context):
        """A step's page in the common frame; records the step shown or the form's errors."""
        if errors is None:
            errors = form_errors(form) if form is not None else []
        if errors and form is not None:
            self.record("form_error", **events.form_error_detail(
                (field.name, field.errors, field.data) for field in form if field.errors))
        elif errors:
            self.record("form_error", **events.form_error_detail((name, [msg], None) for name, msg in errors))
        elif request.method == "GET":
            self.record("step_shown", **({"status": status} if status != 200 else {}))
        if self.step.refusal and request.method == "GET":
            self.record("refusal", code=self.step.refusal)
        session = get_session()
        if self.run is not None and (session.new or session.dirty):
            try:
                transaction.commit_now(session, "the trail entry before the page: a run changed meanwhile "
                                                "costs the entry, not the page")
            except StaleDataError:
                transaction.rollback(session, "the run changed meanwhile: its trail entry is not worth a failure")
        excerpt = excerpt_url = None
        if self.step.article_step:
            excerpt = step_html(self.workflow.article, g.lang, self.step.article_step)
            excerpt_url = self.article_url(self.workflow.article, anchor=f"step-{self.step.article_step}")
        return render_template(
            template, step=self.step, workflow=self.workflow, run=self.run, progress=self.progress,
            step_number=self.workflow.number(self.step), total_steps=len(self.workflow.numbered),
            step_list=self._step_list(), back_url=self._back_url(), excerpt=excerpt, excerpt_url=excerpt_url,
            errors=errors, has_errors=bool(errors), form=form, **context), status

    def _step_list(self) -> list[dict]:
        """The numbered steps: done (a link back), current, to do, or not needed."""
        reached = self.workflow.first_pending(self.progress)
        order = self.workflow.steps.index
        items = []
        for number, step in enumerate(self.workflow.numbered, start=1):
            if step is self.step:
                state = "current"
            elif not step.applies(self.progress):
                state = "skipped"
            elif order(step) < order(reached):
                state = "done"
            else:
                state = "todo"
            link = self.url(step) if state == "done" and not step.public and self.run is not None else None
            items.append({"step": step, "number": number, "state": state, "url": link})
        return items

    def _back_url(self) -> str | None:
        """The previous step that applies; the article's steps before the first real step."""
        if not self.step.numbered or self.step.refusal:
            return None
        previous = self.workflow.previous_step(self.step, self.progress)
        if previous is None or previous.public:
            return self.article_url(self.workflow.article, anchor="steps")
        return self.url(previous)


def form_errors(form) -> list[tuple[str, str]]:
    """(field id, message) for every error of a form, in field order, for the error summary."""
    return [(field.id, str(message)) for field in form
            if field.type != "CSRFTokenField" for message in field.errors]


def _resumable_run(workflow: Workflow, contact, prefill: dict) -> WorkflowRun | None:
    """The start URL takes the contact back to their latest unfinished run of this workflow
    (a shared link with suggestions only to an untouched run with the same ones)."""
    query = (select(WorkflowRun).where(WorkflowRun.contact_id == contact.contact_id,
                                       WorkflowRun.workflow == workflow.name, WorkflowRun.finished_at.is_(None))
             .order_by(WorkflowRun.updated_at.desc(), WorkflowRun.created_at.desc()))
    for run in get_session().scalars(query.limit(MAX_OPEN_RUNS)):
        if not prefill or (run.data or {}) == {"prefill": prefill}:
            return run
    return None


def _open_run(workflow: Workflow, contact, prefill: dict) -> WorkflowRun:
    """Reuse the contact's latest unfinished run of this workflow that nothing was entered in
    yet (a second sign-in, a reload of the first page); else a new run, dropping the oldest
    unfinished ones beyond MAX_OPEN_RUNS. A run with progress is never reused: two tabs that
    started separately keep separate state."""
    session = get_session()
    open_runs = session.scalars(
        select(WorkflowRun).where(WorkflowRun.contact_id == contact.contact_id,
                                  WorkflowRun.workflow == workflow.name, WorkflowRun.finished_at.is_(None))
        .order_by(WorkflowRun.updated_at.desc(), WorkflowRun.created_at.desc())).all()
    for run in open_runs:
        if (run.data or {}) == ({"prefill": prefill} if prefill else {}):
            return run
    for old in open_runs[MAX_OPEN_RUNS - 1:]:
        session.delete(old)
    reference = new_reference()
    while session.scalar(select(WorkflowRun.id).where(WorkflowRun.reference == reference)) is not None:
        reference = new_reference()
    run = WorkflowRun(workflow=workflow.name, contact_id=contact.contact_id, reference=reference,
                      data={"prefill": prefill} if prefill else {})
    session.add(run)
    return run


# --- the guard ----------------------------------------------------------------------

def _run_id_arg() -> str | None:
    run_id = request.args.get("run")
    if run_id is None:
        return None
    if not run_id or len(run_id) > RUN_ID_MAX:
        abort(404)
    return run_id


def _load_run(workflow: Workflow, contact) -> WorkflowRun | None:
    """The run named in the URL; 404 unless it is this contact's run of this workflow."""
    run_id = _run_id_arg()
    if run_id is None:
        return None
    run = get_session().get(WorkflowRun, run_id)
    if run is None or contact is None or run.contact_id != contact.contact_id or run.workflow != workflow.name:
        abort(404)
    return run


def _prefill(workflow: Workflow, run: WorkflowRun | None) -> dict:
    """The shared link's suggestions: from the run once there is one, else from the query string."""
    if run is not None:
        return {}
    prefill, _notices = workflow.parse_prefill(request.args)
    return prefill


def _alternate_urls(workflow: Workflow, step: Step, prefill: dict) -> dict:
    """The language switcher keeps the step, the run and the prefill (also on a page with errors)."""
    args = {"run": request.args["run"]} if request.args.get("run") else dict(prefill)
    return {lang: url_for(f"{workflow.blueprint}.{step.endpoint}", lang=lang, **args) for lang in LANGUAGES}


def make_context(workflow: Workflow, step: Step, contact) -> StepContext:
    run = _load_run(workflow, contact) if contact is not None else None
    progress = Progress(contact=contact, run=run, loaders=workflow.loaders)
    ctx = StepContext(workflow, step, progress, _prefill(workflow, run))
    g.workflow_ctx = ctx
    return ctx


def _step_view(workflow: Workflow, step: Step):
    def view():
        contact = current_contact()
        if contact is None and not step.public:
            if g.get("session_expired"):
                flash(str(EXPIRED_SESSION_NOTICE), "warning")
            prefill, _notices = workflow.parse_prefill(request.args)
            args = {"run": request.args["run"]} if request.args.get("run") else prefill
            first = workflow.first_pending(Progress(contact=None))
            return redirect(url_for(f"{workflow.blueprint}.{first.endpoint}", **args), 303)
        if step.public:
            ctx = StepContext(workflow, step, Progress(contact=contact, loaders=workflow.loaders),
                              workflow.parse_prefill(request.args)[0])
            g.workflow_ctx = ctx
        else:
            ctx = make_context(workflow, step, contact)
            last = workflow.steps[-1]
            if ctx.run is not None and ctx.run.finished_at is not None and step is not last:
                # A finished run only shows its last page (the final action's form may be sent twice).
                if request.method == "GET" and step is not workflow.numbered[-1] and workflow.finished_notice:
                    flash(str(workflow.finished_notice), "info")
                return ctx.redirect(last)
            if not workflow.is_reachable(step, ctx.progress):
                return ctx.redirect()
        g.alternate_urls = _alternate_urls(workflow, step, ctx.prefill)
        return step.handler(ctx)
    view.__name__ = view.__qualname__ = f"{workflow.blueprint}_{step.endpoint}"
    return view


def _start_view(workflow: Workflow):
    def start():
        """Always a redirect to the first step that applies; keeps a valid prefill, drops the rest."""
        prefill, notices = workflow.parse_prefill(request.args)
        for notice in notices:
            flash(str(notice), "warning")
        contact = current_contact()
        run = _load_run(workflow, contact) if contact is not None else None
        if run is None and contact is not None:
            run = _resumable_run(workflow, contact, prefill)
        progress = Progress(contact=contact, run=run, loaders=workflow.loaders)
        ctx = StepContext(workflow, workflow.steps[0], progress, {} if run else prefill)
        return ctx.redirect()
    start.__name__ = start.__qualname__ = f"{workflow.blueprint}_start"
    return start


def _neutral_start_view(workflow: Workflow):
    def start_without_language():
        """/wizard/<name>/: the reader's language, query string kept."""
        query = request.args.to_dict(flat=True)
        query.pop("lang", None)  # the language comes from the reader, never from the query
        return redirect(url_for(f"{workflow.blueprint}.start", lang=preferred_language(), **query), 302)
    start_without_language.__name__ = start_without_language.__qualname__ = f"{workflow.blueprint}_neutral_start"
    return start_without_language


# --- errors, mapped once per blueprint -------------------------------------------------

def _context_or_none() -> StepContext | None:
    return g.get("workflow_ctx")


def _refused(error):
    """The backend says this contact may not use the workflow (role or account changed): show why."""
    transaction.rollback(get_session(), "a refusal keeps nothing of the step's work, though it gets a redirect")
    ctx = _context_or_none()
    if ctx is None or ctx.contact is None:
        return current_app.handle_http_exception(Forbidden())
    contact = accounts.get_contact(get_session(), ctx.contact.contact_id)
    progress = Progress(contact=contact, run=ctx.run, loaders=ctx.workflow.loaders)
    target = ctx.workflow.first_pending(progress)
    if not target.refusal:
        # The contact still looks allowed: the first refusal page that matches the code.
        refusals = [s for s in ctx.workflow.steps if s.refusal]
        target = next((s for s in refusals if s.refusal == error.code), refusals[-1])
    ctx.record("refusal", code=error.code)  # committed by the request, with the redirect
    return redirect(url_for(f"{ctx.workflow.blueprint}.{target.endpoint}"), 303)


def _not_found(_error):
    """Missing, or another account's: the site's 404 page (ids reveal nothing)."""
    transaction.rollback(get_session(), "a 404 keeps nothing of the step's work (the request would commit it)")
    return current_app.handle_http_exception(NotFound())


def _csrf_failed(workflow: Workflow):
    def handler(error):
        """A form posted after the session ended: sign in again and come back to the same step."""
        first = workflow.first_pending(Progress(contact=None))
        args = {"run": request.args["run"]} if request.args.get("run") else {}
        if current_contact() is None:
            flash(str(EXPIRED_SESSION_NOTICE), "warning")
            return redirect(url_for(f"{workflow.blueprint}.{first.endpoint}", **args), 303)
        if request.endpoint == f"{workflow.blueprint}.{first.endpoint}" and error.description in STALE_TOKEN_ERRORS:
            # The sign-in form sent again after it already worked (back button, a retried request
            # whose answer was lost): it carries a genuine token of the session that sign-in
            # replaced. Nothing is done with the form; the visitor, signed in, just moves on.
            # A missing or forged token is still refused below.
            return redirect(url_for(f"{workflow.blueprint}.{first.endpoint}", **args), 303)
        from helpcenter.errors import CSRF_MESSAGE, render_error
        return render_error(400, *CSRF_MESSAGE)
    return handler


def _too_many(workflow: Workflow):
    def handler(_error):
        """A rate limit refused the POST: the site's 429 page, with the step's own explanation."""
        from helpcenter.errors import MESSAGES, render_error
        title, message = MESSAGES[429]
        step = next((s for s in workflow.steps if request.endpoint == f"{workflow.blueprint}.{s.endpoint}"), None)
        return render_error(429, title, step.too_many if step is not None and step.too_many else message)
    return handler


def _workflow_error(handler):
    def handle(error):
        # No rollback: a billing operation refuses before it changes anything, and what it
        # flushed on purpose (a stale quote's replacement) is the request's to commit.
        ctx = _context_or_none()
        if ctx is None:
            raise error
        return handler(ctx, error)
    return handle


def _no_store(response):
    """Workflow pages hold account figures: never cached, so the back button shows the current state."""
    response.headers["Cache-Control"] = "no-store"
    return response


def make_blueprint(workflow: Workflow):
    """The blueprint of one workflow: start, every step, no-store, CSRF and billing errors."""
    bp = localized_blueprint(workflow.blueprint, __name__, url_prefix=f"/wizard/{workflow.name}")
    bp.add_url_rule("/", "start", _start_view(workflow), methods=["GET"])
    for step in workflow.steps:
        bp.add_url_rule(f"/{step.name}", step.endpoint, _step_view(workflow, step), methods=list(step.methods))
    bp.after_request(_no_store)
    bp.register_error_handler(CSRFError, _csrf_failed(workflow))
    bp.register_error_handler(429, _too_many(workflow))
    bp.register_error_handler(billing_errors.NotAllowed, _refused)
    bp.register_error_handler(billing_errors.NotFound, _not_found)
    for error_type, handler in workflow.error_handlers.items():
        bp.register_error_handler(error_type, _workflow_error(handler))
    return bp


def register(app, workflow: Workflow) -> None:
    """Serve a workflow: its blueprint and its language-neutral link."""
    app.register_blueprint(make_blueprint(workflow))
    app.add_url_rule(f"/wizard/{workflow.name}/", f"{workflow.blueprint}_start_without_language",
                     _neutral_start_view(workflow))
    app.extensions.setdefault("workflows", {})[workflow.name] = workflow
