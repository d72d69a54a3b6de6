#!/usr/bin/env python3
"""Fill French translations from a JSON object {msgid: msgstr} (plural: msgid -> [singular, plural]).

Usage: .venv/bin/python scripts/po_fill.py translations-fr.json
Only entries present in the catalog are filled; run scripts/update-catalog first.
Prints the msgids that are still untranslated.
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations/fr/LC_MESSAGES/messages.po"


def main(paths):
    with PO.open("rb") as f:
        catalog = read_po(f, locale="fr")
    for path in paths:
        for msgid, msgstr in json.loads(Path(path).read_text(encoding="utf-8")).items():
            for message in catalog:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                if key == msgid:
                    message.string = tuple(msgstr) if isinstance(message.id, tuple) else msgstr
                    message.flags.discard("fuzzy")
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, sort_by_file=True)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    for m in missing:
        print("untranslated:", m)
    print(f"{len(missing)} untranslated")


if __name__ == "__main__":
    main(sys.argv[1:])
