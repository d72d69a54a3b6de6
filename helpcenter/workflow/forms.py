"""The base of every step's form: WTForms, CSRF checked once by the app's CSRFProtect."""
from flask_wtf import FlaskForm

# What a customer typed here is never sent back to the browser after an error (nor stored).
NEVER_REFILLED = frozenset({"card_number", "cvc", "password"})


def strip(value):
    return value.strip() if isinstance(value, str) else value


class StepForm(FlaskForm):
    """A step's input. The token is checked by CSRFProtect before the view runs; the hidden
    `revision` (the run's optimistic lock) is checked by the engine."""

    class Meta:
        csrf = False

    def refuse(self, field_name: str, message) -> None:
        """A refusal from the billing backend, shown on the field it concerns."""
        field = self[field_name]
        field.errors = [*field.errors, str(message)]

    def forget_secrets(self) -> None:
        """Empty the card number and CVC before the page is shown again."""
        for field in self:
            if field.name in NEVER_REFILLED:
                field.data = ""
                field.raw_data = []
