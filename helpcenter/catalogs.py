"""Compiled translations at start-up: a French page must never come out in English.

`pip install .` without `pybabel compile`, or a .po edited after the last compile, would
serve /fr/ pages from a missing or outdated .mo. create_app() compiles what is missing or
older than its .po, in-process with Babel (fuzzy entries are left out, as `make` does); when
that cannot be done (a read-only install, a broken .po) a production app refuses to start and
a development one says so in the log.
"""
import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from helpcenter.config import ConfigError

log = logging.getLogger(__name__)

LOCALES = ("fr",)  # the catalogs the site needs (English is the source language)


def outdated(translations_dir: Path) -> list[Path]:
    """The .po files whose .mo is missing or older."""
    stale = []
    for locale in LOCALES:
        po = translations_dir / locale / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or (po.exists() and mo.stat().st_mtime < po.stat().st_mtime):
            stale.append(po)
    return stale


def compile_catalog(po: Path) -> None:
    """Write the .mo beside the .po atomically (workers starting together never read half a file)."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    handle, temporary = tempfile.mkstemp(dir=po.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(temporary, po.with_suffix(".mo"))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_compiled(translations_dir, production: bool) -> None:
    """Compile missing or outdated catalogs; in production, refuse to start without them."""
    directory = Path(translations_dir)
    for po in outdated(directory):
        try:
            if not po.exists():
                raise FileNotFoundError(po)
            compile_catalog(po)
            log.info("compiled %s", po.with_suffix(".mo"))
        except Exception as error:
            message = (f"the {po.parent.parent.name} translations cannot be compiled ({type(error).__name__}: "
                       f"{error}); run `pybabel compile -d {directory}`")
            if production:
                raise ConfigError(message) from error
            log.warning("%s: pages in that language will show English", message)
