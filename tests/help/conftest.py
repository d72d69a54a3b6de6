"""Help centre fixtures: the app points at small fixture articles (tests/help/articles/),
except in tests that ask for the real articles directory."""
import shutil
from pathlib import Path

import pytest

FIXTURE_ARTICLES = Path(__file__).resolve().parent / "articles"


@pytest.fixture
def app_config(app_config):
    app_config["ARTICLES_DIR"] = str(FIXTURE_ARTICLES)
    return app_config


@pytest.fixture
def fixture_articles() -> Path:
    return FIXTURE_ARTICLES


@pytest.fixture
def articles_copy(tmp_path) -> Path:
    """A writable copy of the fixture articles, for tests that break one."""
    target = tmp_path / "articles"
    shutil.copytree(FIXTURE_ARTICLES, target)
    return target


@pytest.fixture
def store(app):
    return app.extensions["help_store"]
