"""The workflow's state: per run and per contact, safe with tabs, reloads, language switches and expiry."""
import pytest


def test_two_tabs_started_separately_do_not_share_state(visitor, runs):
    tab_a = visitor.choose_product(visitor.sign_in())
    tab_b = visitor.choose_product(visitor.get("/en/wizard/seats/product"))
    assert visitor.run(tab_a) != visitor.run(tab_b)
    visitor.add_to_cart(tab_a, 8)
    visitor.add_to_cart(tab_b, 6)
    by_id = {run.id: run for run in runs()}
    assert by_id[visitor.run(tab_a)].quantity == 8
    assert by_id[visitor.run(tab_b)].quantity == 6
    review_a = visitor.get(f"/en/wizard/seats/review?run={visitor.run(tab_a)}")
    assert visitor.step(review_a) == "seats"  # tab A has not checked out; B's checkout is not A's


@pytest.mark.parametrize("lang, notice", [
    ("en", "This workflow was changed in another tab or window"),
    ("fr", "Ce parcours a été modifié dans un autre onglet"),
])
def test_a_duplicated_tab_cannot_silently_overwrite(visitor, runs, lang, notice):
    visitor.lang = lang
    seats = visitor.choose_product(visitor.sign_in())
    duplicate = seats  # the same page open in a second tab
    visitor.add_to_cart(seats, 8)
    revision = runs()[0].revision
    r = visitor.add_to_cart(duplicate, 6)
    assert notice in visitor.text(r)
    [run] = runs()
    assert run.quantity == 8 and run.revision == revision
    assert visitor.soup(r).select_one("#quantity")["value"] == "8"  # the current state is shown


def test_another_contacts_run_is_404(make_visitor, runs):
    dupont, northwind = make_visitor(), make_visitor()
    page = dupont.choose_product(dupont.sign_in("dupont"))
    northwind.sign_in("northwind")
    run_id = dupont.run(page)
    for step in ["product", "seats", "review", "confirm", "done", ""]:
        assert northwind.client.get(f"/en/wizard/seats/{step}?run={run_id}").status_code == 404, step
    assert northwind.client.get("/en/wizard/seats/seats?run=" + "x" * 100).status_code == 404
    assert northwind.client.get("/en/wizard/seats/seats?run=unknown").status_code == 404


def test_another_contacts_run_posted_with_sign_in_starts_a_new_run(make_visitor, runs):
    dupont, northwind = make_visitor(), make_visitor()
    page = dupont.choose_product(dupont.sign_in("dupont"))
    run_id = dupont.run(page)
    signin = northwind.get(f"/en/wizard/seats/sign-in?run={run_id}")
    r = northwind.submit(signin, {"email": "billing@northwind.example", "password": "demo-pass-en"})
    assert northwind.step(r) == "product" and northwind.run(r) != run_id
    assert "GoToMeeting Business" in northwind.text(r)


def test_session_expiry_resumes_the_run_after_signing_in_again(visitor, runs):
    review = visitor.to_review("dupont", 8)
    run_id = visitor.run(review)
    with visitor.client.session_transaction() as session:
        session.clear()  # what an expired session looks like to the server
    r = visitor.client.get(f"/en/wizard/seats/review?run={run_id}")
    assert r.status_code == 303 and r.location.endswith(f"/en/wizard/seats/sign-in?run={run_id}")
    page = visitor.get(r.location)
    page = visitor.submit(page, {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert visitor.step(page) == "review" and visitor.run(page) == run_id
    assert "8 agents" in visitor.text(page)
    assert len(runs()) == 1


def test_a_form_posted_after_the_session_expired_leads_to_sign_in_and_back(visitor):
    review = visitor.to_review("dupont", 8)
    run_id = visitor.run(review)
    with visitor.client.session_transaction() as session:
        session.clear()
    r = visitor.continue_review(review)  # the CSRF token died with the session
    assert visitor.step(r) == "sign-in" and visitor.run(r) == run_id
    assert "Sign in again to continue where you were" in visitor.text(r)
    page = visitor.submit(r, {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert visitor.step(page) == "review"


def test_switching_language_keeps_the_step_and_everything_entered(visitor):
    review = visitor.to_review("dupont", 8)
    switch = visitor.soup(review).select_one('a.lang-switch[hreflang="fr"]')["href"]
    assert switch == f"/fr/wizard/seats/review?run={visitor.run(review)}"
    french = visitor.get(switch)
    assert visitor.step(french) == "review"
    text = visitor.text(french)
    assert "Étape 4 sur 6" in text and "272,00 €" in text and "8 agents" in text


def test_language_switch_on_a_page_with_errors_keeps_the_step(visitor):
    seats = visitor.choose_product(visitor.sign_in())
    r = visitor.add_to_cart(seats, 0)
    switch = visitor.soup(r).select_one('a.lang-switch[hreflang="fr"]')["href"]
    assert switch == f"/fr/wizard/seats/seats?run={visitor.run(seats)}"


def test_switching_language_before_sign_in_keeps_the_prefill(visitor):
    page = visitor.get("/en/wizard/seats/?product=gotoassist-rs5&quantity=8")
    switch = visitor.soup(page).select_one('a.lang-switch[hreflang="fr"]')["href"]
    assert switch.startswith("/fr/wizard/seats/sign-in?")
    assert "product=gotoassist-rs5" in switch and "quantity=8" in switch


def test_back_button_and_reload_show_the_current_state(visitor):
    review = visitor.to_review("dupont", 8)
    assert review.headers["Cache-Control"] == "no-store"
    run_id = visitor.run(review)
    seats = visitor.get(f"/en/wizard/seats/seats?run={run_id}")  # back
    assert visitor.soup(seats).select_one("#quantity")["value"] == "8"
    again = visitor.get(review.request.full_path)  # forward, then reload
    assert visitor.text(again) == visitor.text(review)


def test_step_list_marks_the_current_step_and_links_done_steps(visitor):
    review = visitor.to_review("dupont", 8)
    items = visitor.soup(review).select("ol.steps li")
    assert len(items) == 6
    current = [li for li in items if li.get("aria-current") == "step"]
    assert len(current) == 1 and current[0] is items[3]
    assert items[1].find("a")["href"].endswith(f"/product?run={visitor.run(review)}")
    assert items[2].find("a")["href"].endswith(f"/seats?run={visitor.run(review)}")
    assert items[4].find("a") is None and items[5].find("a") is None
    back = visitor.soup(review).select_one("a.back-link")["href"]
    assert back.endswith(f"/seats?run={visitor.run(review)}")


@pytest.mark.parametrize("step, n", [("product", 2), ("seats", 3), ("review", 4), ("payment", 5), ("confirm", 6)])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_step_shows_its_paragraph_of_the_seat_article(visitor, lang, step, n):
    visitor.lang = lang
    page = visitor.to_confirm("dupont", 8)
    page = visitor.get(f"/{lang}/wizard/seats/{step}?run={visitor.run(page)}")
    aside = visitor.soup(page).select_one("aside.article-excerpt")
    link = aside.select_one(f'a[href*="#step-{n}"]')
    assert link is not None and link["href"].startswith(f"/{lang}/articles/1")
    expected = {("en", 2): "Add Agents", ("fr", 2): "Ajouter des agents", ("en", 3): "Add to cart",
                ("fr", 3): "Ajouter au panier", ("en", 4): "Edit order", ("fr", 4): "Modifier la commande",
                ("en", 5): "VAT number", ("fr", 5): "TVA", ("en", 6): "Place order",
                ("fr", 6): "Passer la commande"}[(lang, n)]
    assert expected in aside.get_text()
    assert f"{'Step' if lang == 'en' else 'Étape'} {n} {'of' if lang == 'en' else 'sur'} 6" in visitor.text(page)


@pytest.mark.parametrize("step, data", [
    ("sign-in", {"email": "billing@dupont.example", "password": "demo-pass-fr"}),
    ("product", {"subscription": "1"}),
    ("seats", {"quantity": "8", "action": "cart"}),
    ("review", {}),
    ("payment", {"payment_method": "saved"}),
    ("confirm", {"quote": "x"}),
])
def test_every_post_needs_the_csrf_token(visitor, runs, step, data):
    page = visitor.to_confirm("dupont", 8)
    run = runs()[0]
    before = (run.revision, run.quote_id, run.order_id)
    r = visitor.client.post(f"/en/wizard/seats/{step}?run={run.id}", data=dict(data, revision=str(run.revision)))
    assert r.status_code == 400
    assert "expired" in visitor.text(r)
    run = runs()[0]
    assert (run.revision, run.quote_id, run.order_id) == before
    assert visitor.step(page) == "confirm"


def test_sign_out_mid_way_then_sign_in_again_resumes_the_run(visitor, runs):
    seats = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 7)
    run_id = visitor.run(seats)
    sign_out = visitor.soup(seats).select_one('header form[action="/en/sign-out"]')
    token = sign_out.select_one('input[name="csrf_token"]')["value"]
    assert visitor.client.post("/en/sign-out", data={"csrf_token": token}).status_code == 303
    page = visitor.get(f"/en/wizard/seats/seats?run={run_id}")
    assert visitor.step(page) == "sign-in"
    page = visitor.submit(page, {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert visitor.step(page) == "seats" and visitor.run(page) == run_id
    assert visitor.soup(page).select_one("#quantity")["value"] == "7"
    assert visitor.soup(page).select_one("#cart") is not None
