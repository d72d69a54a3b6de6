"""Fixtures of the sign-in tests: translations and page text."""
import re

import pytest
from bs4 import BeautifulSoup


def translated_in_catalog(app, msgid) -> bool:
    """The French catalog has a translation for msgid (which may read the same, like "Agents")."""
    from flask_babel import force_locale, get_translations
    with app.test_request_context("/fr/"), force_locale("fr"):
        catalog = get_translations()._catalog
    entry = catalog.get(msgid) or catalog.get((msgid, 0))
    return bool(entry)


@pytest.fixture
def translate(app):
    """The app's translation of a msgid in a language (and proof that French is really translated)."""
    from flask_babel import force_locale, gettext

    def translate(lang, msgid, **params):
        with app.test_request_context(f"/{lang}/"), force_locale(lang):
            text = gettext(msgid, **params)
        if lang == "fr":
            assert translated_in_catalog(app, msgid), f"not translated: {msgid}"
        return text
    return translate


@pytest.fixture
def in_locale(app):
    """Run a callable (a message function of helpcenter.messages) in a language."""
    from flask_babel import force_locale

    def run(lang, func, *args, **kwargs):
        with app.test_request_context(f"/{lang}/"), force_locale(lang):
            return str(func(*args, **kwargs))
    return run


@pytest.fixture
def soup_of():
    return lambda response: BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def text_of(soup_of):
    """The visible text of a page; only ASCII whitespace collapsed (no-break spaces stay)."""
    def text(response):
        soup = soup_of(response)
        for hidden in soup.select("script, style, head"):
            hidden.decompose()
        return re.sub(r"[ \t\n\r\f\v]+", " ", soup.get_text(" ")).strip()
    return text
