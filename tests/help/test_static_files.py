"""Static files: content-hashed URLs from url_for, served for a year as immutable."""
import hashlib
import re
from pathlib import Path

import helpcenter

STATIC = Path(helpcenter.__file__).parent / "static"


def test_pages_link_static_files_by_content_hash(client):
    html = client.get("/en/articles/1-add-or-remove-seats").get_data(as_text=True)
    css = re.search(r'href="(/static/css/site\.([0-9a-f]{10})\.css)"', html)
    assert css, "the stylesheet is not linked by a hashed name"
    assert css.group(2) == hashlib.sha256((STATIC / "css/site.css").read_bytes()).hexdigest()[:10]
    assert re.search(r'src="/static/js/site\.[0-9a-f]{10}\.js"', html)
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert response.data == (STATIC / "css/site.css").read_bytes()
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable and response.cache_control.public
    response.close()


def test_plain_and_unknown_static_names(client):
    plain = client.get("/static/css/site.css")
    assert plain.status_code == 200 and not plain.cache_control.immutable
    plain.close()
    assert client.get("/static/css/site.0000000000.css").status_code == 404
