"""The expert's inbox in pages: 25 waiting requests a page, best matches first
then the oldest, links that keep the queue filter, any ?page= answered."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from advice_support import T0, ask, client_for, declare, make_queue, person
from lms.advice import service


def waiting(html: str) -> list[str]:
    """Titles in the table of requests waiting for an expert, in order."""
    section = html.split("Waiting for an expert", 1)[1]
    return re.findall(r'<td><a href="/advice/requests/\d+">([^<]+)</a>', section)


def held(html: str) -> list[str]:
    section = html.split("Requests I handle", 1)[1].split("Waiting for an expert", 1)[0]
    return re.findall(r'<td><a href="/advice/requests/\d+">([^<]+)</a>', section)


def page_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="pagination" aria-label="([^"]+)">.*?</nav>', html, re.S)
    assert nav, "no page navigation"
    assert nav.group(1) == "Pages of the inbox"
    return {text.strip(): href.replace("&amp;", "&")
            for href, text in re.findall(r'<a (?:rel="\w+" )?href="([^"]+)">([^<]+)</a>', nav.group(0))}


@pytest.fixture()
def inbox_of_30():
    """30 waiting requests: 28 plain ones (Plain 01 the oldest) and two newer
    matches with the expert's region, which come first."""
    expert, learner = person("expert", locale="en"), person("learner")
    queue = make_queue(experts=[expert])
    declare(expert, region=["pe-cl"])
    requests = {}
    for n in range(1, 29):
        requests[f"Plain {n:02d}"] = ask(learner, queue, title=f"Plain {n:02d}", now=T0 + timedelta(minutes=n))
    for n, letter in enumerate("AB"):
        requests[f"Match {letter}"] = ask(learner, queue, title=f"Match {letter}", region="pe-cl",
                                          now=T0 + timedelta(days=1, minutes=n))
    return expert, learner, queue, requests


def test_page_two_starts_at_the_26th_request_best_matches_first_then_oldest(app, inbox_of_30):
    expert, *_ = inbox_of_30
    client = client_for(app, expert)
    first = client.get("/advice/inbox").get_data(as_text=True)
    assert waiting(first) == ["Match A", "Match B"] + [f"Plain {n:02d}" for n in range(1, 24)]
    assert "30 requests waiting · Page 1 of 2." in first
    assert '<span class="current" aria-current="page">1</span>' in first
    links = page_links(first)
    assert set(links) == {"2", "Next page →"} and links["2"] == links["Next page →"] == "/advice/inbox?page=2"

    second = client.get(links["2"]).get_data(as_text=True)
    assert waiting(second) == [f"Plain {n:02d}" for n in range(24, 29)]  # the 26th request first
    assert "30 requests waiting · Page 2 of 2." in second
    back = page_links(second)
    assert set(back) == {"← Previous page", "1"} and back["1"] == back["← Previous page"] == "/advice/inbox"


def test_page_links_keep_the_queue_filter(app):
    expert, learner = person("expert", locale="en"), person("learner")
    busy, quiet = make_queue(experts=[expert]), make_queue(experts=[expert])
    for n in range(1, 28):
        ask(learner, busy, title=f"Busy {n:02d}", now=T0 + timedelta(minutes=n))
    ask(learner, quiet, title="Quiet one", now=T0)
    client = client_for(app, expert)

    first = client.get(f"/advice/inbox?queue={busy.id}").get_data(as_text=True)
    assert "27 requests waiting · Page 1 of 2." in first and "Quiet one" not in waiting(first)
    links = page_links(first)
    assert links["Next page →"] == f"/advice/inbox?page=2&queue={busy.id}"
    second = client.get(links["Next page →"]).get_data(as_text=True)
    assert waiting(second) == ["Busy 26", "Busy 27"]
    assert page_links(second)["← Previous page"] == f"/advice/inbox?queue={busy.id}"
    # A queue that fits on one page: no navigation, no "Page 1 of 1".
    few = client.get(f"/advice/inbox?queue={quiet.id}").get_data(as_text=True)
    assert waiting(few) == ["Quiet one"] and 'class="pagination"' not in few and "Page 1 of" not in few


@pytest.mark.parametrize("value, page", [
    ("abc", 1), ("0", 1), ("-3", 1), ("1.5", 1), ("", 1), ("²", 1), ("١", 1), ("%00", 1), ("1e3", 1),
    ("+2", 2), ("002", 2), ("3", 2), ("99", 2), ("99999999999999999999999999", 2), ("-99999999999999999999", 1),
])
def test_a_page_out_of_range_or_not_a_number_gives_the_nearest_page(app, inbox_of_30, value, page):
    expert, *_ = inbox_of_30
    response = client_for(app, expert).get(f"/advice/inbox?page={value}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Page {page} of 2." in html
    assert waiting(html)[0] == ("Match A" if page == 1 else "Plain 24")


def test_a_claimed_request_moves_to_the_requests_held_on_every_page(app, inbox_of_30):
    expert, learner, queue, requests = inbox_of_30
    client = client_for(app, expert)
    held_before = requests["Plain 10"]
    service.claim(held_before.id, expert)
    second = client.get("/advice/inbox?page=2").get_data(as_text=True)
    assert held(second) == ["Plain 10"] and "Plain 10" not in waiting(second)
    assert waiting(second) == [f"Plain {n:02d}" for n in range(25, 29)]  # one fewer waiting before them

    # Claiming the first request of page 2 from its button: held on every page, waiting on none.
    assert client.post(f"/advice/requests/{requests['Plain 25'].id}/claim").status_code == 302
    for page in (1, 2):
        html = client.get(f"/advice/inbox?page={page}").get_data(as_text=True)
        assert held(html) == ["Plain 10", "Plain 25"]  # by resolution due time, as before
        assert "Plain 25" not in waiting(html)
    assert waiting(client.get("/advice/inbox?page=2").get_data(as_text=True)) == ["Plain 26", "Plain 27",
                                                                                 "Plain 28"]
