"""Step 1 (sign in) and the two refusal pages: corporate accounts and contacts who are not billing contacts."""
import pytest


def test_sign_in_step_shows_step_1_of_6_with_the_article_paragraph(visitor):
    page = visitor.get("/en/wizard/seats/sign-in")
    html = page.get_data(as_text=True)
    text = visitor.text(page)
    assert "Step 1 of 6" in text
    current = visitor.soup(page).select('[aria-current="step"]')
    assert len(current) == 1 and "Sign in" in current[0].get_text()
    assert "Sign in to the billing centre" in visitor.soup(page).title.get_text()
    assert "#step-1" in html
    assert visitor.soup(page).select_one("a.back-link")["href"].startswith("/en/articles/1")


@pytest.mark.parametrize("lang, title_prefix, message", [
    ("en", "Error:", "The email address or password is not right"),
    ("fr", "Erreur\u00a0:", "L'adresse e-mail ou le mot de passe"),
])
def test_wrong_password_is_a_field_error_with_a_summary_and_keeps_the_email(visitor, runs, lang, title_prefix, message):
    page = visitor.get(f"/{lang}/wizard/seats/sign-in")
    r = visitor.submit(page, {"email": "billing@dupont.example", "password": "wrong-pass"})
    assert r.status_code == 422
    soup = visitor.soup(r)
    assert soup.title.get_text().startswith(title_prefix)
    summary = soup.select_one(".error-summary")
    assert summary is not None and summary.select_one('a[href="#email"]') is not None
    assert message in visitor.text(r).replace("’", "'")
    assert soup.select_one("#email")["value"] == "billing@dupont.example"
    assert soup.select_one("#password")["value"] == ""
    assert soup.select_one("#email")["aria-invalid"] == "true"
    assert runs() == []


def test_empty_form_lists_both_fields_in_the_summary(visitor):
    page = visitor.get("/en/wizard/seats/sign-in")
    r = visitor.submit(page, {"email": "", "password": ""})
    links = [a["href"] for a in visitor.soup(r).select(".error-summary a")]
    assert links == ["#email", "#password"]


def test_sign_in_creates_a_run_for_this_contact_and_goes_to_the_product(visitor, runs):
    page = visitor.sign_in()
    assert visitor.step(page) == "product"
    run_id = visitor.run(page)
    assert run_id and len(run_id) >= 32
    [run] = runs()
    assert run.id == run_id and run.subscription_id is None


def test_sign_in_keeps_the_prefill_on_the_run(visitor, runs):
    page = visitor.sign_in(query="?product=gotoassist-rs5&quantity=8")
    assert visitor.step(page) == "product"
    [run] = runs()
    assert (run.prefill_product, run.prefill_quantity) == ("gotoassist-rs5", 8)
    assert "The link you followed suggests GoToAssist Remote Support v5" in visitor.text(page)


def test_sign_in_step_is_skipped_when_already_signed_in(visitor, auth):
    auth.sign_in("billing@dupont.example", "demo-pass-fr")
    r = visitor.client.get("/en/wizard/seats/sign-in")
    assert r.status_code == 303 and "/en/wizard/seats/product" in r.location


def test_sign_in_post_without_csrf_token_signs_nobody_in(visitor, runs):
    r = visitor.client.post("/en/wizard/seats/sign-in",
                            data={"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert r.status_code == 303  # back to the sign-in step with a notice (the session has no token)
    assert runs() == []
    assert visitor.client.get("/en/wizard/seats/product").location.endswith("/sign-in")


@pytest.mark.parametrize("lang, heading, faq", [
    ("en", "Your seats are managed on the corporate billing portal", "corporate billing portal FAQ"),
    ("fr", "Vos postes se gèrent sur le portail de facturation Corporate", "FAQ du portail de facturation Corporate"),
])
def test_corporate_contact_gets_the_advisor_and_no_seat_controls(visitor, runs, lang, heading, faq):
    visitor.lang = lang
    page = visitor.sign_in("globex")
    assert visitor.step(page) == "corporate"
    text = visitor.text(page)
    assert heading in text
    assert "Jordan Lee" in text and "jordan.lee@vendor.example" in text and "+1 555 0100" in text
    assert faq in text
    links = [a["href"] for a in visitor.soup(page).select("main a")]
    assert any(href.startswith(f"/{lang}/articles/3") for href in links)
    # No seat controls: the only form asks the advisor for a quote (tests/wizard/test_corporate.py).
    assert not visitor.soup(page).select('[name="action"], [name="revision"]')
    assert [f["action"] for f in visitor.soup(page).select("main form")] == [f"/{lang}/wizard/seats/corporate"]
    assert runs() == []


@pytest.mark.parametrize("step", ["product", "seats", "review", "confirm"])
def test_corporate_contact_cannot_reach_the_seat_steps(visitor, step):
    visitor.sign_in("globex")
    r = visitor.client.get(f"/en/wizard/seats/{step}")
    assert r.status_code == 303 and r.location.endswith("/en/wizard/seats/corporate")
    assert visitor.client.get("/en/wizard/seats/").location.endswith("/corporate")


@pytest.mark.parametrize("lang, sentence", [
    ("en", "Only the account's billing contacts can add or remove seats"),
    ("fr", "Seuls les contacts de facturation du compte peuvent ajouter ou supprimer des postes"),
])
def test_admin_is_told_only_billing_contacts_change_seats_and_who_they_are(visitor, lang, sentence):
    visitor.lang = lang
    page = visitor.sign_in("dupont-admin")
    assert visitor.step(page) == "not-billing-contact"
    text = visitor.text(page)
    assert sentence in text
    assert "Marc Lefèvre" in text and "admin@dupont.example" in text and "Atelier Dupont SARL" in text
    # ...and who to ask instead: the account's billing contacts, and only them.
    mailtos = [a["href"] for a in visitor.soup(page).select('a[href^="mailto:"]')]
    assert mailtos == ["mailto:billing@dupont.example"]
    assert not visitor.soup(page).select('[name="quantity"], [name="subscription"]')


def test_refusal_pages_are_only_for_the_contacts_they_concern(visitor):
    visitor.sign_in("dupont")
    assert visitor.client.get("/en/wizard/seats/corporate").location.endswith("/product")
    assert visitor.client.get("/en/wizard/seats/not-billing-contact").location.endswith("/product")


def test_an_admin_forging_a_product_post_changes_nothing(visitor, runs, subscription_of):
    """Every request asks who is signed in: a forged POST from a non-billing contact gets nowhere."""
    page = visitor.sign_in("dupont-admin")
    token = visitor.soup(page).select_one('input[name="csrf_token"]')["value"]
    subscription, _contact = subscription_of("billing@dupont.example")
    r = visitor.client.post("/en/wizard/seats/product", data={"csrf_token": token, "subscription": subscription.id})
    assert r.status_code == 303 and r.location.endswith("/not-billing-contact")
    assert runs() == []


def test_the_sign_in_form_sent_again_after_signing_in_moves_on(visitor):
    """Back button or a retried request: the old form's token belongs to the session that
    sign-in replaced; the visitor, already signed in, goes on instead of seeing an error."""
    page = visitor.get("/en/wizard/seats/")
    action, data, _ = visitor.form(page, has=("email", "password"))
    data.update({"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert visitor.step(visitor.client.post(action, data=data, follow_redirects=True)) == "product"
    again = visitor.client.post(action, data=data)
    assert again.status_code == 303
    assert visitor.step(visitor.client.get(again.location, follow_redirects=True)) == "product"
