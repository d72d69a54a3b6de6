"""A generator of help articles in the project's article format, with realistic vocabulary.

Deterministic (seeded): the same size and seed write the same files. Nothing is committed;
the bench writes them to a temporary folder. Words follow a Zipf-like distribution over a
billing/help-centre vocabulary in English and French (accents included), so that search
sees common words, rare words and accented words the way real articles have them.
"""
from __future__ import annotations

import itertools
import random
import unicodedata
from datetime import date, timedelta
from pathlib import Path

CATEGORIES = {
    "seats": ({"title": "Seats and users", "description": "Add, remove and assign seats."},
              {"title": "Sièges et utilisateurs", "description": "Ajouter, retirer et attribuer des sièges."}),
    "billing": ({"title": "Billing and invoices", "description": "Charges, proration, invoices and VAT."},
                {"title": "Facturation et factures", "description": "Montants, prorata, factures et TVA."}),
    "payment": ({"title": "Payment methods", "description": "Cards, declined payments and receipts."},
                {"title": "Moyens de paiement", "description": "Cartes, paiements refusés et reçus."}),
    "corporate": ({"title": "Corporate accounts", "description": "The corporate billing portal."},
                  {"title": "Comptes Corporate", "description": "Le portail de facturation Corporate."}),
    "account": ({"title": "Your account", "description": "Contacts, security and settings."},
                {"title": "Votre compte", "description": "Contacts, sécurité et paramètres."}),
    "products": ({"title": "Products", "description": "GoToAssist, GoToMeeting and their plans."},
                 {"title": "Produits", "description": "GoToAssist, GoToMeeting et leurs offres."}),
}

# Content words, most frequent first (the order drives the Zipf weights).
WORDS = {
    "en": """
account seats subscription billing payment invoice user users seat card order period
change price credit balance charge contact plan product team organizer agent expert licence
licences renewal date month year total tax vat number address company admin administrator
portal quote quotes corporate advisor support session meeting remote assist access email
receipt refund discount upgrade downgrade cancel trial currency amount due rate monthly annual
proration prorated remaining days statement history download print settings profile password
security sign verify confirm review checkout cart step steps page button link option menu
assign unassign suspended active pending expired declined failed approved processed update
edit remove add increase decrease reduce extend transfer migrate export import report reports
dashboard notification notifications reminder deadline schedule calendar timezone region
country europe france ireland united states business enterprise standard premium starter
mastercard visa american express bank transfer direct debit iban bic purchase po reference
ledger entry entries adjustment correction dispute chargeback fraud risk policy terms
agreement contract signature owner role roles permission permissions group groups department
workspace organisation organization domain sso saml directory provisioning integration api
webhook token key keys audit log logs event events timeline usage limit limits quota overage
capacity concurrent simultaneous device devices computer mobile desktop browser app install
installation download installer version release notes maintenance outage status incident
response ticket case chat phone callback hours weekday weekend holiday emergency priority
escalation feedback survey satisfaction knowledge article articles guide guides tutorial
video webinar training onboarding checklist migration backup restore recovery archive
retention deletion privacy gdpr consent compliance certificate encryption invoice pdf
""".split(),
    "fr": """
compte sièges abonnement facturation paiement facture utilisateur utilisateurs siège carte
commande période modification prix crédit solde montant contact offre produit équipe
organisateur agent expert licence licences renouvellement date mois année total taxe tva
numéro adresse société administrateur portail devis corporate conseiller assistance séance
réunion distance accès courriel reçu remboursement remise mise niveau résiliation essai devise
échéance taux mensuel annuel prorata restant jours relevé historique téléchargement
impression paramètres profil mot passe sécurité connexion vérifier confirmer récapitulatif
panier étape étapes page bouton lien option menu attribuer retirer suspendu actif attente
expiré refusé échoué approuvé traité modifier supprimer ajouter augmenter diminuer réduire
prolonger transférer migrer exporter importer rapport rapports tableau bord notification
notifications rappel délai calendrier fuseau horaire région pays europe france irlande
états-unis entreprise standard premium mastercard visa virement prélèvement iban bic achat
bon référence écriture écritures ajustement correction litige fraude risque politique
conditions accord contrat signature propriétaire rôle rôles autorisation autorisations groupe
groupes service espace organisation domaine annuaire provisionnement intégration jeton clé
clés journal événement événements chronologie utilisation limite limites quota dépassement
capacité simultané appareil appareils ordinateur mobile navigateur application installation
version publication notes maintenance panne état incident réponse ticket demande téléphone
rappel heures semaine férié urgence priorité remontée avis enquête satisfaction article
articles guide tutoriel vidéo webinaire formation intégration liste migration sauvegarde
restauration récupération archive conservation effacement confidentialité rgpd consentement
conformité certificat chiffrement généré créé réglé payé dû été reçue envoyée émise
""".split(),
}

GLUE = {
    "en": "the a your you to of and in for on with from this that when if is are can will be it "
          "each any all then before after by at or not".split(),
    "fr": "le la les un une votre vos vous de du des et en pour sur avec dans ce cette quand si "
          "est sont peut pourra être il chaque tout tous puis avant après par à ou ne pas".split(),
}

TITLE_VERBS = {
    "en": ["How to change", "Update", "Understand", "Manage", "Review", "Add", "Remove",
           "Troubleshoot", "Set up", "Cancel", "Find", "Download"],
    "fr": ["Comment modifier", "Mettre à jour", "Comprendre", "Gérer", "Vérifier", "Ajouter",
           "Retirer", "Résoudre un problème de", "Configurer", "Résilier", "Trouver", "Télécharger"],
}

HEADINGS = {
    "en": ["Before you start", "What changes", "Steps", "Good to know", "If something goes wrong",
           "Who can do this", "Related questions"],
    "fr": ["Avant de commencer", "Ce qui change", "Étapes", "Bon à savoir", "En cas de problème",
           "Qui peut le faire", "Questions fréquentes"],
}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out, dash = [], False
    for ch in ascii_text:
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:80] or "article"


class Writer:
    """Draws words and sentences for one language."""

    def __init__(self, lang: str, rng: random.Random):
        self.lang, self.rng = lang, rng
        self.words = WORDS[lang]
        self.cum = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(self.words))))
        self.glue = GLUE[lang]

    def word(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cum)[0]

    def sentence(self, lo=8, hi=18) -> str:
        n = self.rng.randint(lo, hi)
        content = iter(self.rng.choices(self.words, cum_weights=self.cum, k=n))
        glue = iter(self.rng.choices(self.glue, k=n))
        parts = [next(content) if self.rng.random() < 0.55 else next(glue) for _ in range(n)]
        text = " ".join(parts)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))


def article_text(lang: str, ident: int, count: int, rng: random.Random) -> tuple[str, str]:
    """(slug, file text) of article `ident` in `lang`."""
    w = Writer(lang, rng)
    topic = " ".join(w.word() for _ in range(rng.randint(2, 4)))
    title = f"{rng.choice(TITLE_VERBS[lang])} {topic} ({ident})"
    slug = slugify(title)
    shared = random.Random(ident)  # what translations share: category, date, related articles
    category = shared.choice(list(CATEGORIES))
    updated = date(2026, 11, 20) - timedelta(days=shared.randint(0, 700))
    related = sorted({shared.randint(1, count) for _ in range(shared.randint(0, 3))} - {ident})
    keywords = sorted({w.word() for _ in range(rng.randint(0, 4))})
    summary = w.sentence(10, 22).replace('"', "")
    front = [
        "---",
        f"id: {ident}",
        f'title: "{title}"',
        f"slug: {slug}",
        f"category: {category}",
        f'summary: "{summary}"',
        f"updated: {updated.isoformat()}",
    ]
    if related:
        front.append(f"related: [{', '.join(map(str, related))}]")
    if keywords:
        front.append(f"keywords: [{', '.join(keywords)}]")
    front.append("---")
    body = [w.paragraph()]
    for section in range(rng.randint(3, 5)):
        heading = rng.choice(HEADINGS[lang])
        if rng.random() < 0.3:
            body.append(f"{{#section-{section + 1}}}")
        body.append(f"## {heading} {section + 1}")
        for _ in range(rng.randint(1, 2)):
            body.append(w.paragraph())
        roll = rng.random()
        if roll < 0.35:
            body.append("{.steps}\n" + "\n".join(f"{i}. {w.sentence(5, 12)}" for i in range(1, rng.randint(3, 7))))
        elif roll < 0.6:
            body.append("\n".join(f"- {w.sentence(4, 10)}" for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.3 and count > 1:
            other = rng.randint(1, count)
            if other != ident:
                label = "see also" if lang == "en" else "voir aussi"
                body.append(f"{w.sentence(6, 10)[:-1]}, {label} [{w.word()}](article:{other}).")
        if rng.random() < 0.15:
            label = "Change your seats now" if lang == "en" else "Modifier vos sièges maintenant"
            body.append(f"{{.callout}}\n[{label}](wizard:seats)")
    return slug, "\n".join(front) + "\n\n" + "\n\n".join(body) + "\n"


def write_articles(target: Path, count: int, seed: int = 20261126, langs=("en", "fr")) -> Path:
    """Write `count` articles per language plus categories.yaml under `target`; returns target."""
    target = Path(target)
    lines = []
    for key, (en, fr) in CATEGORIES.items():
        lines.append(f"- key: {key}")
        lines.append(f'  en: {{title: "{en["title"]}", description: "{en["description"]}"}}')
        lines.append(f'  fr: {{title: "{fr["title"]}", description: "{fr["description"]}"}}')
    target.mkdir(parents=True, exist_ok=True)
    (target / "categories.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for lang in langs:
        folder = target / lang
        folder.mkdir(exist_ok=True)
        rng = random.Random(f"{seed}-{lang}")
        for ident in range(1, count + 1):
            slug, text = article_text(lang, ident, count, rng)
            (folder / f"{ident}-{slug}.md").write_text(text, encoding="utf-8")
    return target


QUERY_KINDS = ("one word", "two words", "accented", "prefix", "no match")


def queries(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """n mixed queries as (kind, lang, text), evenly spread over the kinds and both languages."""
    rng = random.Random(seed)
    accented = {lang: [x for x in WORDS[lang] if any(ord(c) > 127 for c in x)] for lang in WORDS}
    accented["en"] = accented["fr"]  # English readers type French words too (product labels)
    out = []
    for i in range(n):
        kind = QUERY_KINDS[i % len(QUERY_KINDS)]
        lang = ("en", "fr")[(i // len(QUERY_KINDS)) % 2]
        w = Writer(lang, rng)
        if kind == "one word":
            text = w.word()
        elif kind == "two words":
            text = f"{w.word()} {w.word()}"
        elif kind == "accented":
            word = rng.choice(accented[lang])
            # half as typed with accents, half without (readers often drop them)
            text = word if rng.random() < 0.5 else unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        elif kind == "prefix":
            word = rng.choice([x for x in WORDS[lang] if len(x) >= 6])
            text = word[: rng.randint(3, 5)]
        else:
            text = rng.choice(["zyxwvut", "kangourou quantique", "xylophone", "qwertzuiop", "blorft"])
        out.append((kind, lang, text))
    return out
