"""Fixtures of the sign-in tests: translations and page text."""
import re

import pytest
from bs4 import BeautifulSoup


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
