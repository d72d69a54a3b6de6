"""Steps 2 and 3: the product, then the seat count (Add to cart, Checkout) and the backend's refusals."""
import pytest


@pytest.mark.parametrize("lang, account, button, words", [
    ("en", "dupont", "Add Agents", ["GoToAssist Remote Support v5", "Assigned to users 3", "Free 2", "Step 2 of 6"]),
    ("fr", "dupont", "Ajouter des agents", ["Attribués à des utilisateurs 3", "Libres 2", "Étape 2 sur 6"]),
    ("en", "northwind", "Add Organizers", ["GoToMeeting Business", "Assigned to users 6", "Free 4"]),
    ("fr", "northwind", "Ajouter des organisateurs", ["192,00 $US par poste et par an"]),
])
def test_product_step_lists_subscriptions_with_a_button_named_for_the_seat_type(visitor, lang, account, button, words):
    visitor.lang = lang
    page = visitor.sign_in(account)
    buttons = visitor.soup(page).select('button[name="subscription"]')
    assert [b.get_text(strip=True) for b in buttons] == [button]
    text = visitor.text(page)
    for word in words:
        assert word in text


def test_choosing_a_product_records_it_and_opens_the_seats_step(visitor, runs, subscription_of):
    page = visitor.choose_product(visitor.sign_in())
    assert visitor.step(page) == "seats"
    subscription, _ = subscription_of("billing@dupont.example")
    [run] = runs()
    assert run.subscription_id == subscription.id
    assert visitor.soup(page).select_one("#quantity")["value"] == "5"


def test_another_accounts_subscription_is_404_and_changes_nothing(visitor, runs, subscription_of):
    page = visitor.sign_in("dupont")
    northwind_subscription, _ = subscription_of("billing@northwind.example")
    revision = runs()[0].revision
    r = visitor.submit(page, {"subscription": str(northwind_subscription.id)}, has=("subscription",), follow=False)
    assert r.status_code == 404
    [run] = runs()
    assert run.subscription_id is None and run.revision == revision


@pytest.mark.parametrize("value", ["", "abc", "1 OR 1=1", "99999999999999999999"])
def test_a_malformed_subscription_id_is_refused(visitor, runs, value):
    page = visitor.sign_in("dupont")
    r = visitor.submit(page, {"subscription": value}, has=("subscription",), follow=False)
    assert r.status_code == 400  # not one of the offered choices: the form is refused as it stands
    assert runs()[0].subscription_id is None


def test_prefilled_product_is_suggested_and_quantity_prefills_the_seats_step(visitor):
    page = visitor.sign_in("northwind", query="?product=gotomeeting-business&quantity=12")
    assert "The link you followed suggests GoToMeeting Business" in visitor.text(page)
    page = visitor.choose_product(page)
    assert visitor.soup(page).select_one("#quantity")["value"] == "12"
    assert "The link you followed suggests 12 organizers" in visitor.text(page)
    # Never acting on its own: nothing is quoted until the customer adds to the cart.
    assert visitor.soup(page).select_one("#cart") is None


def test_prefilled_product_missing_from_the_account_is_ignored_with_a_notice(visitor):
    page = visitor.sign_in("dupont", query="?product=gotoassist-seeit&quantity=7")
    text = visitor.text(page)
    assert "(gotoassist-seeit) is not on your account" in text
    page = visitor.choose_product(page)
    assert visitor.soup(page).select_one("#quantity")["value"] == "5"  # the suggestion was for another product


def test_prefill_on_a_signed_in_visit_writes_nothing_until_a_post(visitor, auth, runs):
    auth.sign_in("billing@dupont.example", "demo-pass-fr")
    page = visitor.get("/fr/wizard/seats/?product=gotoassist-rs5&quantity=9")
    assert visitor.step(page) == "product" and runs() == []
    assert "product=gotoassist-rs5" in page.request.full_path
    page = visitor.choose_product(page)
    assert visitor.soup(page).select_one("#quantity")["value"] == "9"
    [run] = runs()
    assert run.prefill_quantity == 9


@pytest.mark.parametrize("lang, texts", [
    ("en", ["Step 3 of 6", "5 agents", "Assigned to users: 3", "Add to cart"]),
    ("fr", ["Étape 3 sur 6", "5 agents", "Attribués à des utilisateurs : 3", "Ajouter au panier"]),
])
def test_seats_step_shows_the_count_and_works_without_javascript(visitor, lang, texts):
    visitor.lang = lang
    page = visitor.choose_product(visitor.sign_in())
    text = visitor.text(page)
    for expected in texts:
        assert expected in text
    field = visitor.soup(page).select_one("input#quantity")
    assert field["type"] == "number" and field["name"] == "quantity"
    assert field.find_parent(attrs={"data-stepper": True}) is not None
    assert visitor.soup(page).select_one('label[for="quantity"]') is not None


@pytest.mark.parametrize("lang, checkout", [("en", "Checkout"), ("fr", "Commander")])
def test_add_to_cart_shows_the_cart_then_checkout_opens_the_review(visitor, runs, lang, checkout):
    visitor.lang = lang
    page = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 8)
    assert visitor.step(page) == "seats"
    cart = visitor.soup(page).select_one("#cart")
    assert cart is not None and "5" in cart.get_text() and "8" in cart.get_text()
    assert cart.find("button", attrs={"value": "checkout"}).get_text(strip=True) == checkout
    # Checkout sends the field with it (the same form), so what is reviewed is what is on screen.
    assert cart.find_parent("form").select_one("#quantity") is not None
    assert visitor.soup(page).select_one("#quantity")["value"] == "8"
    [run] = runs()
    assert run.quantity == 8 and run.quote_id and not run.checked_out
    review = visitor.checkout(page)
    assert visitor.step(review) == "review"
    assert runs()[0].checked_out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_checkout_reviews_the_number_in_the_field_not_an_older_cart(visitor, runs, lang):
    """Add 12 to the cart, type 15, press Checkout: the review shows 15 (issue 12, item 2)."""
    visitor.lang = lang
    page = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 12)
    cart_quote = runs()[0].quote_id
    review = visitor.submit(page, {"quantity": "15"}, button=r"^\s*(checkout|commander)\s*$")
    assert visitor.step(review) == "review"
    text = visitor.text(review)
    assert ("15 agents" in text) and ("12 agents" not in text)
    [run] = runs()
    assert run.quantity == 15 and run.checked_out and run.quote_id != cart_quote


def test_checkout_with_a_bad_number_in_the_field_stays_on_step_3_with_the_error(visitor, runs):
    page = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 12)
    cart_quote = runs()[0].quote_id
    r = visitor.submit(page, {"quantity": "abc"}, button=r"^\s*checkout\s*$")
    assert r.status_code == 422 and visitor.step(r) == "seats"
    assert "Enter the number of seats as a whole number, like 8." in visitor.text(r)
    [run] = runs()
    assert run.quote_id == cart_quote and not run.checked_out


REFUSALS = [
    ("2", "3 seats are assigned to users. Unassign 1 seat first, or choose at least 3 seats.", True),
    ("0", "Enter a number of seats from 1 to 500.", False),
    ("501", "Enter a number of seats from 1 to 500.", False),
    ("12345678901234567890", "Enter a number of seats from 1 to 500.", False),  # a whole number, out of range
    ("5", "Your subscription already has 5 seats: enter a different number.", False),
    ("abc", "Enter the number of seats as a whole number, like 8.", False),
    ("4.5", "Enter the number of seats as a whole number, like 8.", False),
    ("", "Enter the number of seats as a whole number, like 8.", False),
]


@pytest.mark.parametrize("typed, message, links_to_assignment", REFUSALS)
def test_backend_refusals_are_field_errors_and_keep_what_was_typed(visitor, runs, typed, message, links_to_assignment):
    page = visitor.choose_product(visitor.sign_in())
    r = visitor.add_to_cart(page, typed)
    assert r.status_code == 422
    soup = visitor.soup(r)
    assert soup.title.get_text().startswith("Error:")
    assert soup.select_one('.error-summary a[href="#quantity"]').get_text(strip=True) == message
    error = soup.select_one("#quantity-error")
    assert message in error.get_text()
    assert soup.select_one("#quantity")["value"] == typed
    assert soup.select_one("#quantity")["aria-invalid"] == "true"
    assert "quantity-error" in soup.select_one("#quantity")["aria-describedby"]
    assignment = error.select_one('a[href*="/en/account/seats/"]')
    assert (assignment is not None) == links_to_assignment
    assert runs()[0].quote_id is None


def test_refusal_in_french(visitor):
    visitor.lang = "fr"
    page = visitor.choose_product(visitor.sign_in())
    r = visitor.add_to_cart(page, 2)
    soup = visitor.soup(r)
    assert soup.title.get_text().startswith("Erreur\u00a0:")
    assert ("3 postes sont attribués à des utilisateurs. Désattribuez d’abord 1 poste, ou choisissez au moins 3 postes."
            in visitor.text(r))
    assert soup.select_one('#quantity-error a[href*="/fr/account/seats/"]') is not None


def test_a_refusal_keeps_the_previous_cart(visitor, runs):
    page = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 8)
    quote_id = runs()[0].quote_id
    r = visitor.add_to_cart(page, 0)
    assert r.status_code == 422
    assert runs()[0].quote_id == quote_id


def test_edit_order_goes_back_to_the_seats_step_with_the_values_kept(visitor):
    review = visitor.to_review(quantity=8)
    edit = visitor.soup(review).find("a", string=lambda s: s and "Edit order" in s)
    page = visitor.get(edit["href"])
    assert visitor.step(page) == "seats"
    assert visitor.soup(page).select_one("#quantity")["value"] == "8"
    assert visitor.soup(page).select_one("#cart") is not None
    page = visitor.add_to_cart(page, 9)
    review = visitor.checkout(page)
    assert "9 agents" in visitor.text(review)


def test_choosing_another_product_after_the_cart_starts_step_3_over(visitor, runs):
    page = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 8)
    run_id = visitor.run(page)
    product = visitor.get(f"/en/wizard/seats/product?run={run_id}")
    again = visitor.choose_product(product)
    assert visitor.step(again) == "seats"
    [run] = runs()
    assert run.quote_id is not None  # the same subscription: the cart is kept
