"""Steps every billing workflow shares: signing in, and the two refusal pages."""
from flask import flash, g, request, url_for
from flask_babel import lazy_gettext as _l

from helpcenter.auth import authenticate_form, sign_in_contact
from helpcenter.auth.forms import SignInForm
from helpcenter.billing import accounts
from helpcenter.workflow import Progress, Step
from helpcenter.workflow.models import WorkflowRun
from helpcenter.workflow.views import EXPIRED_SESSION_NOTICE, RUN_ID_MAX
from helpcenter.workflows.corporate import corporate_page

# Shown when the new-card limits (security.RATE_LIMITS) refuse a card step's POST.
TOO_MANY_CARDS = _l("Too many new cards were tried on this account or from this connection. For your security, wait a while before you try another card; the card on file can still be used.")


def _signed_in(progress) -> bool:
    return progress.contact is not None


def _corporate(progress) -> bool:
    return progress.contact is not None and progress.contact.corporate


def _not_billing_contact(progress) -> bool:
    contact = progress.contact
    return contact is not None and not contact.corporate and not contact.is_billing_contact


def sign_in_step(title, intro, after) -> Step:
    """Step 1: email and password against the billing backend; skipped when already signed in.

    `intro` is the page's first paragraph (lazy), `after` a line under the form (lazy or None).
    """
    def handler(ctx):
        if request.method == "GET" and ctx.contact is not None:
            return _continue_after_sign_in(ctx, ctx.contact)
        if ctx.contact is None and g.get("session_expired") and request.method == "GET":
            flash(str(EXPIRED_SESSION_NOTICE), "warning")
        form = SignInForm()
        if form.validate_on_submit():
            contact = authenticate_form(form)
            if contact is not None:
                sign_in_contact(contact)
                return _continue_after_sign_in(ctx, contact)
        form.password.data = ""  # a password is never sent back to the browser
        args = {"run": request.args["run"]} if request.args.get("run") else ctx.prefill
        action = url_for(ctx.endpoint(ctx.step), **args)
        status = 422 if form.errors else 200
        return ctx.render("wizard/sign_in.html", status, form=form, action=action, intro=intro, after=after)
    return Step("sign-in", title, handler, done=_signed_in, public=True, article_step=1)


def _continue_after_sign_in(ctx, contact):
    """Resume the run named in the URL if it is this contact's; otherwise start (or reuse) one."""
    run_id = request.args.get("run")
    run = ctx.session.get(WorkflowRun, run_id) if run_id and len(run_id) <= RUN_ID_MAX else None
    if run is not None and (run.contact_id != contact.contact_id or run.workflow != ctx.workflow.name):
        run = None  # someone else's run: never shown, never said to exist
    ctx.progress = Progress(contact=contact, run=run, loaders=ctx.workflow.loaders)
    target = ctx.workflow.first_pending(ctx.progress)
    if run is None and not target.refusal and request.method == "POST":
        ctx.start_run()
        ctx.session.flush()  # the run's id, for the redirect; the request commits
    return ctx.redirect(target)


def corporate_step(title, heading, task, quote_request: bool = False) -> Step:
    """A Corporate account: the task is done on the corporate billing portal with the advisor
    (with `quote_request`, the page also asks the advisor for a seat quote)."""
    def handler(ctx):
        return corporate_page(ctx, heading, task, quote_request)
    return Step("corporate", title, handler, applies=_corporate, numbered=False, refusal="corporate_account",
                methods=("GET", "POST") if quote_request else ("GET",))


def not_billing_contact_step(title) -> Step:
    """A contact of the account who is not a billing contact (an account admin, say)."""
    def handler(ctx):
        contacts = accounts.list_billing_contacts(ctx.session, ctx.contact.account_id)
        return ctx.render("wizard/not_billing_contact.html", contact=ctx.contact, billing_contacts=contacts)
    return Step("not-billing-contact", title, handler, applies=_not_billing_contact, numbered=False,
                refusal="not_billing_contact", methods=("GET",))
