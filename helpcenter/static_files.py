"""Static files under content-hashed names, cached by browsers and proxies for a year.

`url_for('static', filename='css/site.css')` gives `/static/css/site.<hash>.css`: the source
files keep their names, the hash is added in the URL layer. A hashed URL never changes content
(a new content is a new URL), so it is served with `max-age` of a year and `immutable`; the
plain name still works, with the default revalidation.
"""
import hashlib
from pathlib import Path

YEAR = 365 * 24 * 3600


def hashed_name(filename: str, content: bytes) -> str:
    """css/site.css -> css/site.1a2b3c4d5e.css (ten hex digits of the content's SHA-256)."""
    path = Path(filename)
    digest = hashlib.sha256(content).hexdigest()[:10]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def manifest(folder: Path) -> dict[str, str]:
    """Every static file's name (with '/' separators) -> its hashed name."""
    names = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            names[name] = hashed_name(name, path.read_bytes())
    return names


def init_app(app) -> None:
    if not app.static_folder or "static" not in app.view_functions:
        return
    folder = Path(app.static_folder)
    to_hashed = manifest(folder)
    to_source = {hashed: name for name, hashed in to_hashed.items()}
    serve = app.view_functions["static"]

    @app.url_defaults
    def _hashed_static_url(endpoint, values):
        if endpoint == "static":
            values["filename"] = to_hashed.get(values.get("filename"), values.get("filename"))

    def static(filename):
        source = to_source.get(filename)
        if source is None:
            return serve(filename=filename)
        response = serve(filename=source)
        # In development a file may be edited after start-up: its old hashed URL must not stick.
        if response.status_code == 200 and not (app.debug and to_hashed[source] != hashed_name(
                source, (folder / source).read_bytes())):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response

    app.view_functions["static"] = static
