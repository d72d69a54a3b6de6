"""What the help pages write: feedback on an article, and searches that found nothing.

Like every operation, these only flush: the request commits (helpcenter/db.py)."""
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpcenter import transaction
from helpcenter.help.models import ArticleFeedback, SearchMiss


def record_feedback(session: Session, article_id: int, lang: str, helpful: bool, now: datetime) -> ArticleFeedback:
    """Keep one "was this helpful" answer."""
    feedback = ArticleFeedback(article_id=article_id, lang=lang, helpful=helpful, created_at=now)
    session.add(feedback)
    session.flush()  # its id goes into the link that asks what was missing
    return feedback


def explain_feedback(session: Session, feedback_id: int, article_id: int, reason: str, comment: str) -> bool:
    """Add what was missing to a "No" answer, once; False when there is no such answer left to explain."""
    done = session.execute(
        update(ArticleFeedback)
        .where(ArticleFeedback.id == feedback_id, ArticleFeedback.article_id == article_id,
               ArticleFeedback.helpful.is_(False), ArticleFeedback.reason.is_(None))
        .values(reason=reason, comment=comment or None))
    return done.rowcount == 1


def record_search_miss(session: Session, lang: str, query: str, now: datetime) -> None:
    """Count a search that found nothing, per language and (normalised) query."""
    query = " ".join(query.lower().split())[:200]
    if not query:
        return
    bump = (update(SearchMiss).where(SearchMiss.lang == lang, SearchMiss.query == query)
            .values(count=SearchMiss.count + 1, last_seen=now))
    if session.execute(bump).rowcount == 0:
        try:
            with transaction.savepoint(session):
                session.add(SearchMiss(lang=lang, query=query, count=1, first_seen=now, last_seen=now))
                session.flush()
            return
        except IntegrityError:  # another request counted the same query first: count on its row
            session.execute(bump)


def search_misses(session: Session, lang: str | None = None) -> list[SearchMiss]:
    """The queries that found nothing, most frequent first."""
    stmt = select(SearchMiss).order_by(SearchMiss.count.desc(), SearchMiss.last_seen.desc())
    if lang:
        stmt = stmt.where(SearchMiss.lang == lang)
    return list(session.scalars(stmt))
