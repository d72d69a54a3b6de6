"""Walks the two workflows like a browser without JavaScript: GET a step, fill its form, POST.

`walk` goes through the seat workflow, `walk_payment` through the payment-details workflow
(article 5: a new card, the VAT number, confirm), both with the demo data of SPEC.md 7.

Works over any transport with `request(method, url, data) -> (status, location, body)` and
no automatic redirects, so that callers can count or inspect every single request: the
Flask test client (SQL counts, page weight) or urllib against gunicorn (Lighthouse).
"""
from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from bs4 import BeautifulSoup

EMAIL, PASSWORD = "billing@dupont.example", "demo-pass-fr"
STEPS = ("sign-in", "product", "seats", "review", "payment", "confirm", "done")
PAYMENT_STEPS = ("sign-in", "card", "vat", "confirm", "done")
WORKFLOW_STEPS = {"seats": STEPS, "payment": PAYMENT_STEPS}
# The sandbox gateway's card that always succeeds, and a valid French VAT number (SPEC.md 6, 7).
NEW_CARD = {"card_number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2031", "cvc": "123",
            "cardholder": "Claire Dupont"}
VAT_NUMBER = "FR40303265045"


class FlaskTransport:
    """The Flask test client, one request at a time (cookies kept by the client)."""

    def __init__(self, client, on_request=None):
        self.client, self.on_request = client, on_request

    def request(self, method, url, data=None):
        if self.on_request:
            self.on_request("start", method, url)
        resp = self.client.open(url, method=method, data=data)
        body = resp.get_data()
        if self.on_request:
            self.on_request("end", method, url)
        return resp.status_code, resp.headers.get("Location"), body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpTransport:
    """urllib against a running server, with a cookie jar, no automatic redirects."""

    def __init__(self, base):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method, url, data=None):
        full = url if url.startswith("http") else self.base + url
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(full, data=body, method=method)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.headers.get("Location"), resp.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location"), error.read()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Page:
    url: str
    status: int
    body: bytes
    requests: list = field(default_factory=list)

    @property
    def workflow(self) -> str | None:
        """"seats" or "payment" for a page of a workflow, else None."""
        parts = urllib.parse.urlsplit(self.url).path.strip("/").split("/")
        return parts[2] if len(parts) >= 4 and parts[1] == "wizard" and parts[2] in WORKFLOW_STEPS else None

    @property
    def step(self) -> str | None:
        """The step's name when the page is one of its workflow's steps (not a refusal page)."""
        name = urllib.parse.urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]
        workflow = self.workflow
        return name if workflow and name in WORKFLOW_STEPS[workflow] else None


class Browser:
    """Follows redirects by hand and submits the main form of a page."""

    def __init__(self, transport):
        self.t = transport

    def get(self, url: str, max_hops: int = 10) -> Page:
        return self._follow("GET", url, None, max_hops)

    def _follow(self, method, url, data, max_hops):
        hops = []
        for _ in range(max_hops):
            status, location, body = self.t.request(method, url, data)
            hops.append((method, _path(url), status))
            if status in (301, 302, 303, 307, 308) and location:
                target = urllib.parse.urljoin(url if url.startswith("http") else "http://x" + url, location)
                url = _path(target) if target.startswith("http://x") else target
                if status in (301, 302, 303):
                    method, data = "GET", None
                continue
            return Page(_path(url) if not url.startswith("http") else url, status, body, hops)
        raise RuntimeError(f"too many redirects from {hops[0]}")

    def submit(self, page: Page, values: dict, prefer: str | None = None) -> Page:
        """Fill and POST the page's main form (hidden fields and defaults kept, `values` over them)."""
        form = main_form(page.body, set(values), prefer)
        if form is None:
            raise RuntimeError(f"no form to submit on {page.url}")
        action = form.get("action") or page.url
        data = form_defaults(form)
        data.update(values)
        # The button whose value is `prefer` (Checkout beside Add to cart in one form), else the first.
        submitter = ((form.find("button", attrs={"value": prefer}) if prefer else None)
                     or form.find(["button", "input"], attrs={"type": "submit"}) or form.find("button"))
        if submitter is not None and submitter.get("name"):
            data.setdefault(submitter["name"], submitter.get("value", ""))
        base = page.url if page.url.startswith("http") else "http://x" + page.url
        target = urllib.parse.urljoin(base, action)
        target = _path(target) if target.startswith("http://x") else target
        return self._follow("POST", target, data, 10)


def main_form(body: bytes, wanted: set, prefer: str | None = None):
    """The POST form of <main> that carries the wanted fields (or the last one, sign-out excluded)."""
    soup = BeautifulSoup(body, "html.parser")
    scope = soup.find("main") or soup
    forms = [f for f in scope.find_all("form") if (f.get("method") or "get").lower() == "post"
             and "sign-out" not in (f.get("action") or "")]
    if not forms:
        return None
    if prefer:
        for f in forms:
            if prefer in f.get_text(" ") or any(prefer == (b.get("value") or "") for b in f.find_all("button")):
                return f
    for f in forms:
        names = {i.get("name") for i in f.find_all(["input", "select", "textarea"])}
        if wanted and wanted <= names:
            return f
    return forms[-1]


def form_defaults(form) -> dict:
    data = {}
    for field_ in form.find_all(["input", "select", "textarea"]):
        name = field_.get("name")
        if not name:
            continue
        if field_.name == "select":
            option = field_.find("option", selected=True) or field_.find("option")
            if option is not None:
                data[name] = option.get("value", option.get_text())
        elif field_.name == "textarea":
            data[name] = field_.get_text()
        else:
            kind = (field_.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                continue
            if kind in ("radio", "checkbox"):
                if field_.has_attr("checked"):
                    data[name] = field_.get("value", "on")
                continue
            data[name] = field_.get("value", "")
    return data


def walk(browser: Browser, lang: str, quantity: int | None = None, visit=None) -> dict:
    """Go through every step from the start link to the done page; returns {name: Page}.

    A step shown again after its own form (the seats step's cart, then Checkout) is named
    "<step> (2)". `visit(name, page)` is called on each page as first shown (after its GET).
    Without `quantity`, the seats step asks for 3 more than the current count (an increase,
    so the payment step shows, and never "unchanged" when walks follow each other).
    """
    pages = {}
    page = browser.get(f"/{lang}/wizard/seats/")
    fills = {
        "sign-in": {"email": EMAIL, "password": PASSWORD},
        "product": {},
        "seats": {"quantity": str(quantity)},
        "review": {},
        "payment": {"payment_method": "saved"},
        "confirm": {},
    }
    seen: dict[str, int] = {}
    for _ in range(16):
        step = page.step
        if page.status != 200 or step is None:
            raise RuntimeError(f"workflow stopped at {page.url} (HTTP {page.status})")
        seen[step] = seen.get(step, 0) + 1
        if seen[step] > 2:
            raise RuntimeError(f"workflow came back to {step} twice: {page.url}")
        name = step if seen[step] == 1 else f"{step} ({seen[step]})"
        pages[name] = page
        if visit:
            visit(name, page)
        if step == "done":
            return pages
        if seen[step] == 1:
            values = dict(fills[step])
            if step == "seats" and quantity is None:
                form = main_form(page.body, {"quantity"})
                field_ = form.find("input", attrs={"name": "quantity"}) if form is not None else None
                current = (field_.get("value") or "") if field_ is not None else ""
                values["quantity"] = str(int(current) + 3 if current.isdigit() else 8)
            if step == "product":
                form = main_form(page.body, {"subscription"})
                choice = _choice(form, "subscription") if form is not None else None
                if choice:
                    values["subscription"] = choice
            page = browser.submit(page, values)
        else:  # the step's second button (Checkout, once the cart holds the count)
            page = browser.submit(page, {}, prefer="checkout")
    raise RuntimeError("the workflow did not reach the done page")


def walk_payment(browser: Browser, lang: str, visit=None, new_card: bool = True) -> dict:
    """Go through the payment-details workflow from its start link to the done page; {name: Page}.

    Signs in as the demo billing contact of Atelier Dupont (FR, so the VAT step applies), checks
    the sandbox's good card (or keeps the card on file when `new_card` is false), enters a valid
    French VAT number and saves. `visit(name, page)` is called on each page as first shown.
    """
    pages = {}
    page = browser.get(f"/{lang}/wizard/payment/")
    fills = {
        "sign-in": ({"email": EMAIL, "password": PASSWORD}, None),
        "card": (dict(NEW_CARD), None) if new_card else ({}, "keep"),
        "vat": ({"vat_number": VAT_NUMBER}, None),
        "confirm": ({}, None),
    }
    for _ in range(len(PAYMENT_STEPS) + 2):
        step = page.step
        if page.status != 200 or page.workflow != "payment" or step is None:
            raise RuntimeError(f"payment workflow stopped at {page.url} (HTTP {page.status})")
        if step in pages:
            raise RuntimeError(f"payment workflow came back to {step}: {page.url}")
        pages[step] = page
        if visit:
            visit(step, page)
        if step == "done":
            return pages
        values, prefer = fills[step]
        page = browser.submit(page, values, prefer=prefer)
    raise RuntimeError("the payment workflow did not reach the done page")


def _choice(form, name):
    """The value of the first radio/option for `name` (the first subscription offered)."""
    for radio in form.find_all("input", attrs={"name": name}):
        if radio.get("type") in ("radio", "checkbox") and radio.has_attr("checked"):
            return radio.get("value")
    radio = form.find("input", attrs={"name": name, "type": "radio"})
    if radio is not None:
        return radio.get("value")
    button = form.find("button", attrs={"name": name})
    if button is not None and button.get("value"):
        return button.get("value")
    select = form.find("select", attrs={"name": name})
    if select is not None:
        option = select.find("option", selected=True) or select.find("option")
        return option.get("value") if option is not None else None
    hidden = form.find("input", attrs={"name": name})
    return hidden.get("value") if hidden is not None else None
