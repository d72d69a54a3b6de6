"""The help centre: articles (store), search, and their pages."""
import threading
from pathlib import Path

from helpcenter.help.store import ArticleError, ArticleStore, article_url, get_store, load_store, step_html

__all__ = ["ArticleError", "ArticleStore", "article_url", "get_store", "load_store", "step_html", "init_app"]

KEPT_STORES = 4
_loaded: dict[str, tuple[tuple, ArticleStore]] = {}  # by articles and cache directory
_loading = threading.Lock()


def _signature(root: Path) -> tuple:
    """What the store was built from: every article file's name, size and modification time."""
    files = [root / "categories.yaml", *sorted(root.glob("*/*.md"))]
    return tuple((str(p), st.st_size, st.st_mtime_ns) for p in files if p.exists() for st in [p.stat()])


def shared_store(articles_dir, cache_dir=None) -> ArticleStore:
    """load_store, kept per directory while its files are unchanged (tests create many apps)."""
    root = Path(articles_dir).resolve()
    key = f"{root}|{cache_dir}"
    with _loading:
        signature = _signature(root)
        cached = _loaded.get(key)
        if cached is None or cached[0] != signature:
            _loaded.pop(key, None)
            while len(_loaded) >= KEPT_STORES:  # the oldest directory goes first
                _loaded.pop(next(iter(_loaded)))
            _loaded[key] = cached = (signature, load_store(root, cache_dir=cache_dir))
        return cached[1]


def init_app(app) -> None:
    # Renderings kept between starts (help/cache.py); the instance folder unless configured.
    app.config.setdefault("ARTICLES_CACHE_DIR", app.instance_path)
    app.extensions["help_store"] = shared_store(app.config["ARTICLES_DIR"], app.config["ARTICLES_CACHE_DIR"] or None)
    app.jinja_env.globals.update(article_url=article_url, step_html=step_html)
    from helpcenter.help import page_cache, views
    views.register(app)
    page_cache.init_app(app)
