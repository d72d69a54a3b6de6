"""The contact form: email, message, optional workflow reference (field names are public, spec section 5)."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

# A workflow run's reference: HC- then six or more capital letters or digits (HC-7K2Q9D).
REFERENCE_RE = re.compile(r"^HC-[A-Z0-9]{6,16}$")
MESSAGE_MAX = 5000


def normalise_reference(value: str | None) -> str | None:
    """" hc-7k2q9d " -> "HC-7K2Q9D"; None for an empty value."""
    value = (value or "").strip().upper()
    return value or None


class ContactForm(FlaskForm):
    email = EmailField(_l("Your email address"), validators=[
        DataRequired(_l("Enter your email address.")),
        Length(max=254, message=_l("Enter an email address of at most 254 characters.")),
        Email(_l("Enter an email address like name@example.com."), check_deliverability=False)])
    message = TextAreaField(_l("How can we help?"), validators=[
        DataRequired(_l("Tell us what you need help with.")),
        Length(max=MESSAGE_MAX, message=_l("Shorten your message to %(max)d characters or fewer.", max=MESSAGE_MAX))])
    reference = StringField(_l("Reference (optional)"), filters=[normalise_reference], validators=[Optional()])
    page = HiddenField()  # where the customer came from, as a same-site path

    def validate_reference(self, field):
        if field.data and not REFERENCE_RE.match(field.data):
            raise ValidationError(_l("Enter the reference as it is shown on the workflow page, like HC-7K2Q9D."))
