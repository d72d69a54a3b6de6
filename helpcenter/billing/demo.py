"""The demo data of the spec (section 7), placed relative to the app's today.

seed_demo() creates what is missing and leaves what exists alone, so running it
twice changes nothing (and never undoes what a demo user did since).
"""
import functools
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing.pricing import period_end
from helpcenter.billing.identity import PRODUCTION_PASSWORDS, Passwords
from helpcenter.billing.service import hash_password

PRODUCTS = [
    # code, name, seat type, term, prices per currency
    ("gotoassist-rs5", "GoToAssist Remote Support v5", "agent", "month",
     {"EUR": Decimal("40.00"), "USD": Decimal("44.00")}),
    ("gotomeeting-business", "GoToMeeting Business", "organizer", "year",
     {"USD": Decimal("192.00"), "EUR": Decimal("180.00")}),
    ("gotoassist-seeit", "GoToAssist Seeit", "expert", "month",
     {"EUR": Decimal("25.00"), "USD": Decimal("28.00")}),
]

ACCOUNTS = [
    {
        "name": "Atelier Dupont SARL", "country": "FR", "currency": "EUR", "locale": "fr",
        "timezone": "Europe/Paris",
        "corporate": False, "balance": Decimal("0.00"),
        "contacts": [("billing@dupont.example", "Claire Dupont", "demo-pass-fr", "billing_contact"),
                     ("admin@dupont.example", "Marc Lefèvre", "demo-pass-admin", "admin")],
        "card": ("Visa", "4242", 12, 2030, "tok_sbx_ok_demo_dupont"),
        "subscription": ("gotoassist-rs5", 5, Decimal("40.00"), 16),
        "users": [("Camille Martin", "camille.martin@dupont.example", True),
                  ("Hugo Bernard", "hugo.bernard@dupont.example", True),
                  ("Léa Petit", "lea.petit@dupont.example", True),
                  ("Jules Moreau", "jules.moreau@dupont.example", False)],
    },
    {
        "name": "Northwind Traders Inc.", "country": "US", "currency": "USD", "locale": "en",
        "timezone": "America/New_York",
        "corporate": False, "balance": Decimal("25.00"),
        "contacts": [("billing@northwind.example", "Nancy Davolio", "demo-pass-en", "billing_contact")],
        "card": ("Mastercard", "4444", 8, 2029, "tok_sbx_ok_demo_northwind"),
        "subscription": ("gotomeeting-business", 10, Decimal("192.00"), 100),
        "users": [("Andrew Fuller", "andrew.fuller@northwind.example", True),
                  ("Janet Leverling", "janet.leverling@northwind.example", True),
                  ("Margaret Peacock", "margaret.peacock@northwind.example", True),
                  ("Steven Buchanan", "steven.buchanan@northwind.example", True),
                  ("Michael Suyama", "michael.suyama@northwind.example", True),
                  ("Robert King", "robert.king@northwind.example", True),
                  ("Laura Callahan", "laura.callahan@northwind.example", False)],
    },
    {
        "name": "Globex Corporation", "country": "US", "currency": "USD", "locale": "en",
        "timezone": "America/Chicago",
        "corporate": True, "balance": Decimal("0.00"),
        "advisor": ("Jordan Lee", "jordan.lee@vendor.example", "+1 555 0100"),
        "contacts": [("billing@globex.example", "Pat Morgan", "demo-pass-corp", "billing_contact")],
        "card": None,
        "subscription": ("gotomeeting-business", 250, Decimal("192.00"), 45),
        "users": [(f"Organizer {n:03d}", f"organizer{n:03d}@globex.example", True) for n in range(1, 251)],
    },
]


@functools.lru_cache(maxsize=None)
def _demo_hash(password: str, profile: str) -> str:
    # Hashing is slow by design; the demo passwords are hashed once per process and profile.
    return hash_password(password, Passwords(profile))


def seed_demo(session: Session, today: date, passwords: Passwords | None = None) -> None:
    """Create the demo catalogue, accounts, contacts, subscriptions, cards and seat users
    (periods relative to `today`) where they are missing. The caller commits.

    `passwords` gives the hash profile (the app's PASSWORD_HASH_PROFILE); the production one by default.
    """
    profile = (passwords or PRODUCTION_PASSWORDS).profile
    now = datetime.now(timezone.utc)
    products = {}
    for code, name, seat_type, term, prices in PRODUCTS:
        product = session.scalar(select(m.Product).where(m.Product.code == code))
        if product is None:
            product = m.Product(code=code, name=name, seat_type=seat_type, term=term)
            session.add(product)
            session.flush()
        have = set(session.scalars(select(m.ProductPrice.currency).where(m.ProductPrice.product_id == product.id)))
        for currency, price in prices.items():
            if currency not in have:
                session.add(m.ProductPrice(product_id=product.id, currency=currency, unit_price=price))
        products[code] = product
    for spec in ACCOUNTS:
        _seed_account(session, spec, products, today, now, profile)
    session.flush()


def _seed_account(session: Session, spec: dict, products: dict, today: date, now: datetime, profile: str) -> None:
    account = session.scalar(select(m.Account).where(m.Account.name == spec["name"]))
    if account is None:
        advisor = spec.get("advisor") or (None, None, None)
        account = m.Account(name=spec["name"], country=spec["country"], currency=spec["currency"],
                            locale=spec["locale"], timezone=spec["timezone"], corporate=spec["corporate"],
                            advisor_name=advisor[0], advisor_email=advisor[1], advisor_phone=advisor[2],
                            vat_number=None,
                            balance=spec["balance"])
        session.add(account)
        session.flush()
        if spec["balance"]:
            session.add(m.LedgerEntry(account_id=account.id, kind="opening", amount=spec["balance"],
                                      currency=spec["currency"], balance_after=spec["balance"], created_at=now))
    elif account.timezone == "UTC":
        # A demo database made before accounts had a time zone: the migration left the default.
        account.timezone = spec["timezone"]
    for email, name, password, role in spec["contacts"]:
        if session.scalar(select(m.Contact.id).where(m.Contact.email == email)) is None:
            session.add(m.Contact(account_id=account.id, email=email, name=name,
                                  password_hash=_demo_hash(password, profile), role=role))
    if spec["card"] and session.scalar(select(m.PaymentMethod.id)
                                       .where(m.PaymentMethod.account_id == account.id)) is None:
        brand, last4, month, year, token = spec["card"]
        session.add(m.PaymentMethod(account_id=account.id, brand=brand, last4=last4, exp_month=month,
                                    exp_year=year, gateway_token=token, updated_at=now))
    code, seats, price, began_days_ago = spec["subscription"]
    product = products[code]
    sub = session.scalar(select(m.Subscription).where(m.Subscription.account_id == account.id,
                                                      m.Subscription.product_id == product.id))
    if sub is None:
        start = today - timedelta(days=began_days_ago)
        sub = m.Subscription(account_id=account.id, product_id=product.id, seats=seats, unit_price=price,
                             currency=spec["currency"], term=product.term, period_start=start,
                             period_end=period_end(start, product.term), version=1)
        session.add(sub)
        session.flush()
        fresh_subscription = True
    else:
        fresh_subscription = False
    existing = {u.email: u for u in session.scalars(select(m.AccountUser)
                                                    .where(m.AccountUser.account_id == account.id))}
    new_users = []
    for name, email, assigned in spec["users"]:
        if email not in existing:
            user = m.AccountUser(account_id=account.id, name=name, email=email, created_at=now)
            new_users.append((user, assigned))
            session.add(user)
    session.flush()
    if fresh_subscription:
        # Seats are assigned only with a new subscription: an existing one keeps its assignments.
        every = [(existing[email], assigned) for _n, email, assigned in spec["users"] if email in existing]
        for user, assigned in every + new_users:
            if assigned:
                session.add(m.SeatAssignment(subscription_id=sub.id, user_id=user.id, assigned_at=now))
