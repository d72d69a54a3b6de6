"""The agent pages' forms: the workflow link builder, the insights period, "mark answered"."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from helpcenter.agent.links import PRODUCT_CODES
from helpcenter.billing.pricing import MAX_SEATS

MAX_PERIOD_DAYS = 366


class GetForm(FlaskForm):
    """A form read from the query string: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False


class ArticleSearchForm(GetForm):
    q = StringField(_l("Search the articles in both languages"), validators=[Length(max=200)])


class WorkflowLinkForm(GetForm):
    workflow = RadioField(_l("Workflow"), default="seats", choices=[
        SelectChoice("seats", _l("Change the number of seats")), SelectChoice("payment", _l("Update the payment details"))],
        validators=[InputRequired(_l("Choose a workflow"))])
    # Codes are checked in validate_product, with a message of ours.
    product = SelectField(_l("Product"), choices=[SelectChoice("", _l("Let the customer choose"))]
                          + [SelectChoice(code, code) for code in PRODUCT_CODES], validate_choice=False)
    quantity = StringField(_l("Number of seats"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                           validators=[Length(max=12)])
    link_lang = RadioField(_l("Customer’s language"), default="neutral", choices=[
        SelectChoice("neutral", _l("The customer’s own (language-neutral link)")), SelectChoice("en", "English"),
        SelectChoice("fr", "Français")],
        validators=[InputRequired(_l("Choose the customer’s language"))])

    def validate_product(self, field):
        if not field.data:
            return
        if field.data not in PRODUCT_CODES:
            raise ValidationError(_l("Choose one of the products in the list"))
        if self.workflow.data != "seats":
            raise ValidationError(_l("Only the seat workflow takes a product"))

    def validate_quantity(self, field):
        if not field.data:
            field.data = None
            return
        if not (field.data.isascii() and field.data.isdigit() and 1 <= int(field.data) <= MAX_SEATS):
            raise ValidationError(_l("Enter a whole number of seats from 1 to %(max)s", max=MAX_SEATS))
        if self.workflow.data != "seats":
            raise ValidationError(_l("Only the seat workflow takes a number of seats"))
        if not self.product.data:
            raise ValidationError(_l("Choose the product the number of seats is for"))
        field.data = int(field.data)


def _parse_day(field) -> None:
    """An ISO date (what <input type=date> sends) into field.data, or a translated error."""
    if not field.data:
        field.data = None
        return
    try:
        field.data = date.fromisoformat(field.data)
    except ValueError:
        raise ValidationError(_l("Enter a date like 2026-11-26")) from None


class PeriodForm(GetForm):
    start = StringField(_l("From"), validators=[Length(max=10)])
    end = StringField(_l("To (included)"), validators=[Length(max=10)])

    def validate_start(self, field):
        _parse_day(field)

    def validate_end(self, field):
        _parse_day(field)
        start = self.start.data if isinstance(self.start.data, date) else None
        if start and field.data:
            if field.data < start:
                raise ValidationError(_l("The end date must be on or after the start date"))
            if (field.data - start).days >= MAX_PERIOD_DAYS:
                raise ValidationError(_l("Choose a period of at most %(days)s days", days=MAX_PERIOD_DAYS))


class AnswerForm(FlaskForm):
    """Mark a request answered: a CSRF token and nothing else."""
