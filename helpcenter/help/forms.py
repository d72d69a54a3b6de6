"""The follow-up of a "No" on "Was this article helpful?": what was missing."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

COMMENT_MAX = 1000

# Reason codes are stored (the insights page counts them); the labels are what readers see.
MISSING_REASONS = [
    SelectChoice("not-answered", _l("It does not answer my question")),
    SelectChoice("unclear", _l("It is hard to understand")),
    SelectChoice("incorrect", _l("It is wrong or out of date")),
    SelectChoice("other", _l("Something else")),
]


class MissingForm(FlaskForm):
    """A short choice and free text; no CSRF token (same-origin check instead, see views.same_origin)."""

    class Meta:
        csrf = False

    reason = RadioField(_l("What was missing?"), choices=MISSING_REASONS,
                        validators=[DataRequired(_l("Choose what was missing"))])
    comment = TextAreaField(_l("What were you looking for? (optional)"), filters=[lambda v: v.strip() if v else v],
                            validators=[Length(max=COMMENT_MAX, message=_l("Write %(max)d characters or fewer", max=COMMENT_MAX))])
