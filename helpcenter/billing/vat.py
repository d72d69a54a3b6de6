"""VAT: EU standard rates (data) and VAT numbers (format and check digit via python-stdnum)."""
from dataclasses import dataclass
from decimal import Decimal

from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat

from helpcenter.billing.errors import VatNumberInvalid

# Standard rates of the EU member states, as in force in 2026 (EE 24 % since July 2025,
# RO 21 % and SK 23 % since 2025, FI 25.5 % since September 2024).
STANDARD_RATES: dict[str, Decimal] = {
    "AT": Decimal("0.20"), "BE": Decimal("0.21"), "BG": Decimal("0.20"), "CY": Decimal("0.19"),
    "CZ": Decimal("0.21"), "DE": Decimal("0.19"), "DK": Decimal("0.25"), "EE": Decimal("0.24"),
    "ES": Decimal("0.21"), "FI": Decimal("0.255"), "FR": Decimal("0.20"), "GR": Decimal("0.24"),
    "HR": Decimal("0.25"), "HU": Decimal("0.27"), "IE": Decimal("0.23"), "IT": Decimal("0.22"),
    "LT": Decimal("0.21"), "LU": Decimal("0.17"), "LV": Decimal("0.21"), "MT": Decimal("0.18"),
    "NL": Decimal("0.21"), "PL": Decimal("0.23"), "PT": Decimal("0.23"), "RO": Decimal("0.21"),
    "SE": Decimal("0.25"), "SI": Decimal("0.22"), "SK": Decimal("0.23"),
}
EU_COUNTRIES = frozenset(STANDARD_RATES)

# VAT numbers start with the ISO country code, except Greece ("EL").
VAT_PREFIX = {"GR": "EL"}
ZERO = Decimal("0")


def in_eu(country: str) -> bool:
    return (country or "").upper() in EU_COUNTRIES


def vat_prefix(country: str) -> str:
    country = country.upper()
    return VAT_PREFIX.get(country, country)


@dataclass(frozen=True)
class VatTreatment:
    rate: Decimal
    reverse_charge: bool


def vat_treatment(customer_country: str, seller_country: str, vat_number: str | None) -> VatTreatment:
    """The rate of the spec: domestic rate at home, reverse charge for EU businesses with a
    valid number, the customer's rate for other EU customers, nothing outside the EU.

    `vat_number` must already be validated (validate_vat_number)."""
    customer = (customer_country or "").upper()
    seller = (seller_country or "").upper()
    if customer == seller:
        return VatTreatment(STANDARD_RATES.get(seller, ZERO), False)
    if customer in EU_COUNTRIES:
        # A business with a valid number accounts for the VAT itself, wherever the seller is.
        if vat_number:
            return VatTreatment(ZERO, True)
        return VatTreatment(STANDARD_RATES[customer], False)
    return VatTreatment(ZERO, False)


def validate_vat_number(number: str, account_country: str) -> str:
    """The number in its compact form (e.g. "FR40303265045"), or VatNumberInvalid.

    A number typed without its country prefix gets the account's. Codes: "not_offered"
    (the account is outside the EU), "format", "checksum", "country_mismatch"."""
    country = (account_country or "").upper()
    if country not in EU_COUNTRIES:
        raise VatNumberInvalid("not_offered")
    compact = "".join(ch for ch in (number or "") if ch not in " .-/:").upper()
    if not compact or len(compact) > 20 or not compact.isascii() or not compact.isalnum():
        raise VatNumberInvalid("format")
    if compact[:1].isdigit():
        compact = vat_prefix(country) + compact
    prefix = compact[:2]
    if not prefix.isalpha():
        raise VatNumberInvalid("format")
    if prefix.lower() not in eu_vat.MEMBER_STATES and prefix != "EL":
        raise VatNumberInvalid("format")
    if prefix == "GR" and country == "GR":
        raise VatNumberInvalid("greek_prefix")
    if prefix != vat_prefix(country):
        # Validate first: a well-formed number of another country is a mismatch, not a typo.
        try:
            eu_vat.validate(compact)
        except stdnum_errors.ValidationError:
            raise VatNumberInvalid("format") from None
        raise VatNumberInvalid("country_mismatch")
    try:
        return eu_vat.validate(compact)
    except stdnum_errors.InvalidChecksum:
        raise VatNumberInvalid("checksum") from None
    except stdnum_errors.ValidationError:
        raise VatNumberInvalid("format") from None
