"""The form of the account pages that carries typed text: adding a user."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField


class AddUserForm(FlaskForm):
    """Name and email of a new user; the billing backend validates them (UserInvalid)."""

    # Ids differ from the names so that they never clash with another form on the page.
    name = StringField(_l("Full name"), id="user-name")
    email = EmailField(_l("Email address"), id="user-email")
