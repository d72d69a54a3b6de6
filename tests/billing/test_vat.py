"""VAT rates by the spec's rules, and VAT numbers checked with python-stdnum."""
from decimal import Decimal

import pytest

from helpcenter.billing.errors import VatNumberInvalid
from helpcenter.billing.vat import STANDARD_RATES, in_eu, validate_vat_number, vat_treatment


@pytest.mark.parametrize("customer, seller, number, rate, reverse", [
    ("FR", "IE", None, "0.20", False),             # EU customer without a number: their rate
    ("FR", "IE", "FR40303265045", "0", True),      # EU business with a valid number: reverse charge
    ("IE", "IE", None, "0.23", False),             # domestic
    ("IE", "IE", "IE6388047V", "0.23", False),     # domestic: the number is printed, VAT still applies
    ("US", "IE", None, "0", False),                # outside the EU
    ("FR", "FR", "FR40303265045", "0.20", False),  # seller in France
    ("DE", "FR", None, "0.19", False),
    ("DE", "GB", "DE136695976", "0", True),        # seller outside the EU: still reverse charge
    ("DE", "US", None, "0.19", False),             # ... and the customer's rate without a number
])
def test_vat_treatment(customer, seller, number, rate, reverse):
    treatment = vat_treatment(customer, seller, number)
    assert treatment.rate == Decimal(rate)
    assert treatment.reverse_charge is reverse


def test_every_member_state_has_a_rate():
    assert len(STANDARD_RATES) == 27
    assert all(Decimal("0.15") <= rate <= Decimal("0.28") for rate in STANDARD_RATES.values())
    assert in_eu("fr") and in_eu("GR") and not in_eu("US") and not in_eu("GB")


@pytest.mark.parametrize("typed, country, compact", [
    ("FR40303265045", "FR", "FR40303265045"),
    ("fr 40 303 265 045", "FR", "FR40303265045"),
    ("40303265045", "FR", "FR40303265045"),   # the prefix is added from the account's country
    ("IE6388047V", "IE", "IE6388047V"),
    ("EL094259216", "GR", "EL094259216"),
])
def test_valid_numbers_are_compacted(typed, country, compact):
    assert validate_vat_number(typed, country) == compact


@pytest.mark.parametrize("typed, country, code", [
    ("FR40303265046", "FR", "checksum"),
    ("FR4030326504", "FR", "format"),
    ("hello", "FR", "format"),
    ("", "FR", "format"),
    ("XX123456789", "FR", "format"),
    ("IE6388047V", "FR", "country_mismatch"),
    ("FR40303265045", "US", "not_offered"),
    ("GR094259216", "GR", "greek_prefix"),     # Greek numbers start with EL
])
def test_invalid_numbers_are_refused_with_a_code(typed, country, code):
    with pytest.raises(VatNumberInvalid) as refused:
        validate_vat_number(typed, country)
    assert refused.value.code == code
