"""Insights: funnels, problems per step, searches without results, feedback; SVG charts with tables; CSV."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from helpcenter.help.models import ArticleFeedback, SearchMiss
from tests.agent.conftest import NOW, soup, text


@pytest.fixture
def activity(record, db_session, agent_demo):
    """Four seat runs: all start, three reach seats, two review, one finishes; plus errors, misses, feedback."""
    steps = ["product", "seats", "review", "payment", "confirm", "done"]
    for n, reached in enumerate([6, 3, 2, 1]):
        ref = f"HC-RUN00{n}"
        for step in steps[:reached]:
            record(ref, "step_shown", step)
        if reached == 6:
            record(ref, "finished", "done")
    record("HC-RUN001", "form_error", "seats", {"fields": {"quantity": {"messages": ["Too few"], "value": "0"}}})
    record("HC-RUN002", "form_error", "seats", {"fields": {"quantity": {"messages": ["Not a number"], "value": "abc"}}})
    record("HC-RUN003", "refusal", "seats", {"code": "below_assigned"})
    record("HC-OLD001", "step_shown", "product", at=NOW - timedelta(days=40))
    db_session.add_all([
        SearchMiss(lang="fr", query="facture proforma", count=7, first_seen=NOW, last_seen=NOW),
        SearchMiss(lang="en", query="=HYPERLINK(1)", count=2, first_seen=NOW, last_seen=NOW),
        SearchMiss(lang="en", query="ancient", count=99, first_seen=NOW - timedelta(days=90),
                   last_seen=NOW - timedelta(days=80)),
        *[ArticleFeedback(article_id=1, lang="fr", helpful=h, created_at=NOW) for h in (True, False, False)],
        ArticleFeedback(article_id=2, lang="en", helpful=True, created_at=NOW),
    ])
    db_session.commit()


def test_funnel_started_reached_finished_and_drop_off(as_agent, activity):
    page = soup(as_agent.get("/en/agent/insights"))
    table = page.select_one("#funnel-seats").find_next("table")
    rows = {r.th.get_text(): [td.get_text() for td in r.select("td")] for r in table.select("tbody tr")}
    assert rows["Choose the product"] == ["4", "100%", "1"]
    assert rows["Choose the number of seats"] == ["3", "75%", "1"]
    assert rows["Review your order"] == ["2", "50%", "1"]
    assert rows["Order placed"] == ["1", "25%", "0"]
    assert "Started: 4; finished: 1." in text(as_agent.get("/en/agent/insights"))


def test_funnel_chart_is_accessible_svg_beside_its_table(as_agent, activity):
    page = soup(as_agent.get("/fr/agent/insights"))
    svg = page.select_one("svg#chart-seats, svg[aria-labelledby^='chart-seats']")
    assert svg["role"] == "img"
    assert svg.title.get_text().startswith("Parcours ayant atteint chaque étape")
    assert len(svg.select("rect")) == 8  # started, six steps, finished
    assert svg.find_next("table") is not None


def test_problems_most_frequent_first(as_agent, activity):
    rows = [[td.get_text() for td in r.select("td")] for r in soup(as_agent.get("/en/agent/insights"))
            .select("#problems ~ table tbody tr, section[aria-labelledby=problems] tbody tr")]
    assert rows[0][2:] == ["Form error", "quantity", "2"]
    assert rows[1][2:] == ["Refusal", "below_assigned", "1"]


def test_searches_without_results_most_frequent_first_with_a_link(as_agent, activity):
    section = soup(as_agent.get("/en/agent/insights")).select_one("section[aria-labelledby=misses]")
    links = section.select("tbody a")
    assert [a.get_text() for a in links] == ["facture proforma", "=HYPERLINK(1)"]
    assert links[0]["href"] == "/fr/search?q=facture+proforma"


def test_feedback_per_article(as_agent, activity):
    section = soup(as_agent.get("/fr/agent/insights")).select_one("section[aria-labelledby=feedback]")
    rows = [[c.get_text() for c in r.select("td")] for r in section.select("tbody tr")]
    assert rows[0][1:] == ["Français", "1", "2"]
    assert rows[1][1:] == ["English", "1", "0"]


def test_default_period_is_the_last_30_days(as_agent, activity):
    page = as_agent.get("/en/agent/insights")
    today = datetime.now(timezone.utc).date()
    assert soup(page).select_one("#period").get_text().startswith("From ")
    # The run 40 days ago is outside: four runs, not five.
    assert "Started: 4;" in text(page)
    assert (today - timedelta(days=29)).strftime("%-d") in soup(page).select_one("#period").get_text()


def test_a_chosen_period(as_agent, activity):
    old = (NOW - timedelta(days=40)).date()
    page = text(as_agent.get(f"/en/agent/insights?start={old.isoformat()}&end={old.isoformat()}"))
    assert "Started: 1; finished: 0." in page
    assert "Every search found something in this period." in page


@pytest.mark.parametrize("lang,query,message", [
    ("en", "start=2026-11-20&end=2026-11-01", "The end date must be on or after the start date"),
    ("fr", "start=2026-13-40", "Saisissez une date comme 2026-11-26"),
    ("en", "start=2024-01-01&end=2026-01-01", "Choose a period of at most 366 days"),
])
def test_bad_period_is_a_clear_error_and_the_default_is_shown(as_agent, activity, lang, query, message):
    response = as_agent.get(f"/{lang}/agent/insights?{query}")
    assert response.status_code == 400
    assert message in soup(response).select_one(".error-summary").get_text()


def test_every_table_downloads_as_csv(as_agent, activity):
    for table in ("funnels", "problems", "misses", "feedback", "reasons"):
        response = as_agent.get(f"/en/agent/insights/{table}.csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{table}-')
    funnels = list(csv.reader(io.StringIO(as_agent.get("/en/agent/insights/funnels.csv").get_data(as_text=True))))
    assert funnels[0][:3] == ["workflow", "step", "reached"]
    assert ["seats", "review", "2", "1", "0.500", "4", "1"] in funnels
    misses = list(csv.reader(io.StringIO(as_agent.get("/en/agent/insights/misses.csv").get_data(as_text=True))))
    assert misses[1:] == [["fr", "facture proforma", "7"], ["en", "'=HYPERLINK(1)", "2"]]
    page = soup(as_agent.get("/en/agent/insights"))
    assert len(page.select("a[href*='/agent/insights/'][download]")) == 4  # reasons only once there are some
    assert as_agent.get("/en/agent/insights/secrets.csv").status_code == 404


def test_nothing_yet(as_agent):
    page = text(as_agent.get("/fr/agent/insights"))
    assert "Aucun parcours n’a été commencé pendant cette période." in page


@pytest.mark.parametrize("lang,label", [("en", "It is hard to understand"), ("fr", None)])
def test_reasons_given_after_a_no(as_agent, agent_demo, db_session, translate, lang, label):
    db_session.add_all([ArticleFeedback(article_id=1, lang="fr", helpful=False, reason="unclear",
                                        comment="Trop de jargon", created_at=NOW) for _ in range(2)]
                       + [ArticleFeedback(article_id=1, lang="en", helpful=False, reason="incorrect", created_at=NOW)])
    db_session.commit()
    label = label or translate("fr", "It is hard to understand")
    section = soup(as_agent.get(f"/{lang}/agent/insights")).select_one("section[aria-labelledby=feedback]")
    rows = [[c.get_text() for c in r.select("td")] for r in section.select("h3 ~ table tbody tr")]
    assert rows[0][1:] == [label, "Trop de jargon", "2"]
    assert len(rows) == 2
    reasons = as_agent.get("/en/agent/insights/reasons.csv").get_data(as_text=True).splitlines()
    assert reasons[1] == "1,fr,unclear,Trop de jargon,2"
