"""The start URLs: first step that applies, prefill links, nothing written on GET."""
import pytest



@pytest.mark.parametrize("lang", ["en", "fr"])
def test_start_sends_a_signed_out_visitor_to_sign_in(client, demo, runs, lang):
    r = client.get(f"/{lang}/wizard/seats/")
    assert r.status_code == 303
    assert r.location.endswith(f"/{lang}/wizard/seats/sign-in")
    assert runs() == []


def test_start_keeps_a_valid_prefill_and_writes_nothing(client, demo, runs):
    r = client.get("/en/wizard/seats/?product=gotoassist-rs5&quantity=8")
    assert r.status_code == 303
    assert "/en/wizard/seats/sign-in?" in r.location
    assert "product=gotoassist-rs5" in r.location and "quantity=8" in r.location
    assert runs() == []


@pytest.mark.parametrize("accept, lang", [("fr-FR,fr;q=0.9", "fr"), ("en-GB", "en"), ("de", "en")])
def test_language_neutral_link_goes_to_the_readers_language_with_its_query(client, demo, accept, lang):
    r = client.get("/wizard/seats/?product=gotomeeting-business&quantity=12", headers={"Accept-Language": accept})
    assert r.status_code == 302
    assert r.location.startswith(f"/{lang}/wizard/seats/?")
    assert "product=gotomeeting-business" in r.location and "quantity=12" in r.location


def test_language_neutral_link_prefers_the_remembered_language(client, demo):
    client.get("/fr/")
    r = client.get("/wizard/seats/", headers={"Accept-Language": "en"})
    assert r.location.startswith("/fr/wizard/seats/")


@pytest.mark.parametrize("lang, notice", [
    ("en", "The number of seats in the link you followed is not valid"),
    ("fr", "Le nombre de postes indiqué dans le lien que vous avez suivi n’est pas valide"),
])
@pytest.mark.parametrize("quantity", ["abc", "0", "501", "-3", "4.5", "9" * 40, "８"])
def test_invalid_prefill_quantity_is_ignored_with_a_notice(visitor, lang, notice, quantity):
    visitor.lang = lang
    page = visitor.get(f"/{lang}/wizard/seats/?product=gotoassist-rs5&quantity={quantity}")
    assert page.status_code == 200 and visitor.step(page) == "sign-in"
    assert notice in visitor.text(page)
    assert "quantity=" not in page.request.full_path
    assert "product=gotoassist-rs5" in page.request.full_path


def test_invalid_prefill_product_is_ignored_with_a_notice(visitor):
    page = visitor.get("/en/wizard/seats/?product=%3Cscript%3E&quantity=7")
    assert visitor.step(page) == "sign-in"
    assert "The product in the link you followed is not valid" in visitor.text(page)
    assert "<script>" not in page.get_data(as_text=True)
    assert "quantity=7" in page.request.full_path


def test_signed_in_start_goes_to_the_product_step(visitor, runs):
    visitor.sign_in()
    r = visitor.client.get("/en/wizard/seats/")
    assert r.status_code == 303 and "/en/wizard/seats/product" in r.location
    before = len(runs())
    visitor.client.get("/en/wizard/seats/")
    assert len(runs()) == before  # GET of the start URL writes nothing


@pytest.mark.parametrize("step", ["product", "seats", "review", "payment", "confirm", "done"])
def test_later_steps_send_a_signed_out_visitor_to_sign_in(client, demo, step):
    r = client.get(f"/en/wizard/seats/{step}")
    assert r.status_code == 303 and r.location.endswith("/en/wizard/seats/sign-in")


@pytest.mark.parametrize("step", ["seats", "review", "payment", "confirm", "done"])
def test_opening_a_later_step_early_redirects_to_the_first_step_not_done(visitor, step):
    product_page = visitor.sign_in()
    run = visitor.run(product_page)
    r = visitor.client.get(f"/en/wizard/seats/{step}?run={run}")
    assert r.status_code == 303 and r.location.endswith(f"/en/wizard/seats/product?run={run}")
    seats_page = visitor.choose_product(product_page)
    if step != "seats":
        r = visitor.client.get(f"/en/wizard/seats/{step}?run={run}")
        assert r.location.endswith(f"/en/wizard/seats/seats?run={run}")
    assert visitor.step(seats_page) == "seats"


def test_review_opens_only_after_checkout(visitor):
    page = visitor.choose_product(visitor.sign_in())
    run = visitor.run(page)
    cart = visitor.add_to_cart(page, 8)
    assert visitor.step(cart) == "seats"
    r = visitor.client.get(f"/en/wizard/seats/confirm?run={run}")
    assert r.location.endswith(f"/seats?run={run}")  # in the cart, not checked out yet
    review = visitor.checkout(cart)
    assert visitor.step(review) == "review"
    r = visitor.client.get(f"/en/wizard/seats/confirm?run={run}")
    assert r.location.endswith(f"/review?run={run}")


def test_start_with_a_run_resumes_it(visitor):
    review = visitor.to_review()
    run = visitor.run(review)
    r = visitor.client.get(f"/en/wizard/seats/?run={run}")
    assert r.location.endswith(f"/en/wizard/seats/review?run={run}")


def test_unknown_step_is_404(visitor):
    visitor.sign_in()
    assert visitor.client.get("/en/wizard/seats/shipping").status_code == 404
    assert visitor.client.get("/de/wizard/seats/").status_code == 404


def test_the_seat_article_do_it_now_link_starts_the_workflow(client, demo):
    article = client.get("/en/articles/1", follow_redirects=True)
    assert article.status_code == 200
    assert 'href="/en/wizard/seats/"' in article.get_data(as_text=True)
    article = client.get("/fr/articles/1", follow_redirects=True)
    assert 'href="/fr/wizard/seats/"' in article.get_data(as_text=True)
