"""The sign-in form, shared by the sign-in page and the workflow's first step."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), filters=[_strip], validators=[
        DataRequired(_l("Enter your email address.")),
        Length(max=254, message=_l("Enter an email address of 254 characters or fewer.")),
        Email(_l("Enter an email address in the correct format, like name@example.com."), check_deliverability=False),
    ])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")),
        Length(max=200, message=_l("Enter a password of 200 characters or fewer.")),
    ])
