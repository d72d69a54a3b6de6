"""Anonymous article and home pages: cached per URL and store version, ETag and 304, public
caching, no cookie on articles; signed-in visitors never get a cached or public page."""
import pytest

SEATS = {"en": "/en/articles/1-add-or-remove-seats", "fr": "/fr/articles/1-ajouter-ou-retirer-des-postes"}


def entries(app):
    return app.extensions["page_cache"].entries()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_anonymous_article_is_public_with_an_etag_and_no_cookie(app, lang):
    client = app.test_client()
    first = client.get(SEATS[lang])
    assert first.status_code == 200
    assert first.headers.getlist("Set-Cookie") == []
    assert first.cache_control.public and first.cache_control.max_age == 300
    etag = first.headers["ETag"]
    second = client.get(SEATS[lang])  # served by the cache: the same bytes and headers
    assert second.data == first.data and second.headers["ETag"] == etag
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert len(entries(app)) == 1
    not_modified = client.get(SEATS[lang], headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert client.get(SEATS[lang], headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_cached_page_is_served_without_running_the_view(app, monkeypatch):
    client = app.test_client()
    body = client.get(SEATS["en"]).data
    monkeypatch.setitem(app.view_functions, "help.article", lambda **_: pytest.fail("the view ran"))
    assert client.get(SEATS["en"]).data == body
    assert client.head(SEATS["en"]).status_code == 200


def test_pages_with_a_query_string_or_another_host_are_not_shared(app):
    client = app.test_client()
    client.get(SEATS["en"])
    thanks = client.get(SEATS["en"] + "?feedback=thanks")
    assert "Thank you for your feedback" in thanks.get_data(as_text=True)
    other = client.get(SEATS["en"], base_url="http://other.example")
    assert "http://other.example/en/articles/1-add-or-remove-seats" in other.get_data(as_text=True)
    assert len(entries(app)) == 2  # one per host, none for the query string


def test_a_page_of_another_store_version_is_not_served(app):
    client = app.test_client()
    client.get(SEATS["en"])
    store = app.extensions["help_store"]
    old = store.version
    store.version = "changed"
    try:
        assert client.get(SEATS["en"]).status_code == 200
        assert {e.version for e in entries(app)} == {"changed"}
    finally:
        store.version = old


def test_home_remembers_the_language_then_is_shared(app):
    client = app.test_client()
    first = client.get("/fr/")
    assert "lang=fr" in first.headers["Set-Cookie"]
    assert not first.cache_control.public and len(entries(app)) == 0
    second = client.get("/fr/")  # the cookie says French now: nothing to set, the page is shared
    assert second.headers.getlist("Set-Cookie") == [] and second.cache_control.public
    assert len(entries(app)) == 1
    newcomer = app.test_client().get("/fr/")  # a cached home page never skips remembering the language
    assert "lang=fr" in newcomer.headers["Set-Cookie"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_signed_in_visitor_never_gets_a_cached_or_public_page(demo, client, auth, lang):
    anonymous = client.get(SEATS[lang])
    assert anonymous.cache_control.public
    assert auth.sign_in(lang=lang).status_code == 303
    signed_in = client.get(SEATS[lang])
    assert signed_in.status_code == 200
    assert not signed_in.cache_control.public and "ETag" not in signed_in.headers
    assert 'action="/' + lang + '/sign-out"' in signed_in.get_data(as_text=True)
    assert signed_in.data != anonymous.data
    home = client.get(f"/{lang}/")
    assert not home.cache_control.public


def test_a_remember_me_cookie_alone_bypasses_the_cache(app):
    client = app.test_client()
    client.get(SEATS["en"])
    client.set_cookie("remember_token", "anything")
    response = client.get(SEATS["en"])
    assert not response.cache_control.public and "ETag" not in response.headers
