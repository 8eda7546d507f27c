"""The expert's inbox in pages: 25 waiting requests a page, best matches first
then the oldest, links that keep the queue filter, any ?page= answered; the
most urgent requests the expert holds above them, and all of them in pages at
/advice/inbox/held."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sqlalchemy import select

from advice_support import T0, ask, client_for, declare, held, make_queue, person, waiting
from lms.advice import service
from lms.advice.models import AdviceRequest
from lms.extensions import db


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


def test_every_page_follows_best_matches_then_oldest_across_scores(app):
    """Requests of every score (0 to 3 matches) and age, over several pages:
    read page by page, they come in the one order, each exactly once."""
    import random

    expert, learner = person("expert", locale="en"), person("learner")
    busy, other = make_queue(experts=[expert]), make_queue(experts=[expert])
    declare(expert, region=["pe-cl", "mx-gt"], value_chain=["cocoa"], language=["en"])
    rng = random.Random(3)
    expected = []
    for n in range(80):
        region = rng.choice(["pe-cl", "mx-gt", "ec-co", None])
        value_chain = rng.choice(["cocoa", "tourism", None])
        language = rng.choice(["en", "es"])
        created = T0 + timedelta(minutes=rng.randrange(60 * 24))
        request = ask(learner, rng.choice([busy, other]), title=f"R{n:02d}", region=region,
                      value_chain=value_chain, language=language, now=created)
        score = (region in ("pe-cl", "mx-gt")) + (value_chain == "cocoa") + (language == "en")
        expected.append((-score, created, request.id, f"R{n:02d}"))
    expected = [title for *_key, title in sorted(expected)]
    client = client_for(app, expert)
    seen = []
    for page in (1, 2, 3, 4):
        html = client.get(f"/advice/inbox?page={page}").get_data(as_text=True)
        assert f"80 requests waiting · Page {page} of 4." in html
        seen += waiting(html)
    assert seen == expected


def test_an_expert_without_declared_expertise_sees_the_oldest_first(app):
    expert, learner = person("expert", locale="en"), person("learner")
    queue = make_queue(experts=[expert])
    for n in (3, 1, 2):
        ask(learner, queue, title=f"Asked {n}", region="pe-cl", now=T0 + timedelta(minutes=n))
    html = client_for(app, expert).get("/advice/inbox").get_data(as_text=True)
    assert waiting(html) == ["Asked 1", "Asked 2", "Asked 3"]
    assert "0 matches with your expertise" in html


def test_the_inbox_shows_the_most_urgent_held_requests_and_links_to_all_of_them(app):
    from lms.advice.queue import HELD_ON_INBOX, PAGE_SIZE

    expert, learner = person("expert", locale="en"), person("learner")
    queue = make_queue(experts=[expert])
    count = PAGE_SIZE + 3
    for n in range(count):
        # the later asked, the later due: "Held 00" is the most urgent
        request = ask(learner, queue, title=f"Held {n:02d}", now=T0 + timedelta(minutes=n))
        service.claim(request.id, expert)
    client = client_for(app, expert)
    inbox = client.get("/advice/inbox").get_data(as_text=True)
    assert held(inbox) == [f"Held {n:02d}" for n in range(HELD_ON_INBOX)]
    assert f"The {HELD_ON_INBOX} most urgent of the {count} requests I handle." in inbox
    assert 'href="/advice/inbox/held">All the requests I handle</a>' in inbox

    def titles(html):
        return re.findall(r'<td><a href="/advice/requests/\d+">([^<]+)</a>', html)

    first = client.get("/advice/inbox/held").get_data(as_text=True)
    assert titles(first) == [f"Held {n:02d}" for n in range(PAGE_SIZE)]
    assert f"{count} requests held · Page 1 of 2." in first
    nav = re.search(r'<nav class="pagination" aria-label="Pages of the requests I handle">.*?</nav>',
                    first, re.S)
    assert nav and 'href="/advice/inbox/held?page=2"' in nav.group(0)
    second = client.get("/advice/inbox/held?page=99").get_data(as_text=True)
    assert titles(second) == [f"Held {n:02d}" for n in range(PAGE_SIZE, count)]

    # Answered: no longer held, at once, on both pages.
    done = db.session.scalar(select(AdviceRequest.id).where(AdviceRequest.title == "Held 00"))
    service.post_message(done, expert, "answer", "Here is the answer.")
    assert "Held 00" not in held(client.get("/advice/inbox").get_data(as_text=True))
    assert "Held 00" not in titles(client.get("/advice/inbox/held").get_data(as_text=True))


def test_few_held_requests_need_no_link_and_none_say_so(app):
    expert, learner = person("expert", locale="en"), person("learner")
    queue = make_queue(experts=[expert])
    client = client_for(app, expert)
    assert "You hold no request at the moment." in client.get("/advice/inbox/held").get_data(as_text=True)
    request = ask(learner, queue, title="Only one")
    service.claim(request.id, expert)
    inbox = client.get("/advice/inbox").get_data(as_text=True)
    assert held(inbox) == ["Only one"] and "/advice/inbox/held" not in inbox
    page = client.get("/advice/inbox/held").get_data(as_text=True)
    assert "1 request held." in page and 'class="pagination"' not in page
