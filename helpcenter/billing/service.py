"""Deprecated: the billing operations now live in one module per job; this re-export stays
for one release so that callers can move (helpcenter.billing.identity, accounts, quotes,
payment_methods, orders, seats, users). Import from those modules in new code."""
from helpcenter.billing.accounts import (find_order, find_subscription_by_product, get_account, get_contact,
                                         count_orders, list_audit_events, list_billing_contacts, list_orders,
                                         list_subscriptions, get_subscription, order_number)
from helpcenter.billing.common import DEFAULT_SELLER_COUNTRY
from helpcenter.billing.identity import authenticate
from helpcenter.billing.orders import payment_attempt_key, place_order
from helpcenter.billing.payment_methods import (check_vat_number, save_payment_details, update_payment_details,
                                                verify_card)
from helpcenter.billing.quotes import QUOTE_LIFETIME, get_quote, quote_figures, quote_seat_change
from helpcenter.billing.seats import (SEAT_EMAIL_WINDOW, SEAT_EMAILS_PER_ACCOUNT, SEAT_EMAILS_PER_USER,
                                      assign_seat, count_users, list_seat_users, unassign_seat)
from helpcenter.billing.users import (EMAIL_MAX, MAX_USERS_PER_ACCOUNT, NAME_MAX, add_user, hash_password,
                                      normalize_email)

__all__ = [
    "DEFAULT_SELLER_COUNTRY", "EMAIL_MAX", "MAX_USERS_PER_ACCOUNT", "NAME_MAX", "QUOTE_LIFETIME",
    "SEAT_EMAILS_PER_ACCOUNT", "SEAT_EMAILS_PER_USER", "SEAT_EMAIL_WINDOW", "add_user", "assign_seat",
    "authenticate", "check_vat_number", "count_orders", "count_users", "find_order", "find_subscription_by_product", "get_account",
    "get_contact", "get_quote", "get_subscription", "hash_password", "list_audit_events",
    "list_billing_contacts", "list_orders", "list_seat_users", "list_subscriptions", "normalize_email",
    "order_number", "payment_attempt_key", "place_order", "quote_figures", "quote_seat_change",
    "save_payment_details", "unassign_seat", "update_payment_details", "verify_card",
]
