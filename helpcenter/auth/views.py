"""Sign in to the billing centre, and sign out."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from helpcenter.auth import (authenticate_form, current_contact, error_items, safe_next,
                             sign_in_contact, sign_out_contact)
from helpcenter.auth.forms import SignInForm
from helpcenter.i18n import localized_blueprint
from helpcenter.staff import StaffMember, sign_in_staff

bp = localized_blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The billing centre's sign-in page; comes back to a same-site `next` afterwards.

    Rate limits (per address and per email) are applied in helpcenter/security.py; the billing
    backend also throttles an email after 5 failed attempts.
    """
    next_url = safe_next(request.args.get("next"))
    form = SignInForm()
    if request.method == "GET" and current_contact() is not None:
        return render_template("auth/signed_in.html", contact=current_contact(), resume=next_url is not None,
                               next_url=next_url or url_for("account.overview"))
    if form.validate_on_submit():
        contact = authenticate_form(form, staff_too=True)
        if isinstance(contact, StaffMember):  # a support agent: their console, never a billing page
            sign_in_staff(contact)
            flash(_("You are signed in as %(name)s.", name=contact.name), "success")
            return redirect(url_for("agent.console"), 303)
        if contact is not None:
            sign_in_contact(contact)
            flash(_("You are signed in as %(name)s.", name=contact.name), "success")
            return redirect(next_url or url_for("account.overview"), 303)
    form.password.data = ""  # never sent back to the browser
    errors = error_items(form)
    return (render_template("auth/sign_in.html", form=form, next_url=next_url, errors=errors,
                            has_errors=bool(errors)),
            400 if errors else 200)


@bp.post("/sign-out")
def sign_out():
    """End the session (POST with CSRF only) and go back to the help centre home."""
    sign_out_contact()
    flash(_("You are signed out."), "success")
    return redirect(url_for("help.home"), 303)


def register(app) -> None:
    app.register_blueprint(bp)
