"""The French catalog: complete (nothing untranslated or fuzzy), and up to date with the code."""
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from helpcenter.config import PROJECT_ROOT

PO_FILE = PROJECT_ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
NBSP = "\u00a0"


def _catalog(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def _ids(catalog) -> set[str]:
    """Every msgid (the singular for plurals), without the header."""
    return {m.id[0] if isinstance(m.id, (tuple, list)) else m.id for m in catalog if m.id}


def test_french_catalog_has_no_untranslated_or_fuzzy_entry():
    problems = []
    for message in _catalog(PO_FILE):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, "\n".join(problems)


def test_french_punctuation_uses_no_break_spaces():
    """French typography: a no-break space before : ; ? ! and inside « »."""
    problems = []
    for message in _catalog(PO_FILE):
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        for text in filter(None, strings):
            if any(f" {p}" in text for p in ":;?!") or "« " in text or " »" in text:
                problems.append(f"{message.id!r}: {text!r}")
    assert not problems, "ordinary space where French wants a no-break space:\n" + "\n".join(problems)


def test_every_string_in_the_code_is_in_the_catalog(tmp_path):
    """Extract like scripts/update-catalog does, then compare: a new _() without its entry fails."""
    pot = tmp_path / "messages.pot"
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext", "--project=helpcenter", "-o", str(pot), "."],
        cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    extracted = _ids(_catalog(pot))
    assert len(extracted) > 50, "extraction found almost nothing: is babel.cfg right?"
    translated = _ids(_catalog(PO_FILE))
    missing = sorted(extracted - translated)
    assert not missing, ("strings in the code but not in the French catalog (run scripts/update-catalog "
                         "and translate them):\n" + "\n".join(missing))


@pytest.mark.parametrize("msgid", ["Was this article helpful?", "Change the number of seats", "Help centre"])
def test_glossary_terms_are_used(msgid):
    expected = {"Was this article helpful?": f"Cet article vous a-t-il été utile{NBSP}?",
                "Change the number of seats": "Modifier le nombre de postes",
                "Help centre": "Centre d’aide"}[msgid]
    assert _catalog(PO_FILE)[msgid].string == expected
