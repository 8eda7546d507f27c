"""The page checks catch what they are for: a bad page served on 127.0.0.1 with
an inline script and style attribute (refused by a CSP), an image from another
host, a missing alt text and too many bytes is reported on every count."""
from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the dev dependency `playwright`")

from browser.main_pages import PAGE_WEIGHT_LIMIT, MainPage, Visit, _axe_script, _Tab  # noqa: E402
from browser.support import new_context  # noqa: E402

PROBE = "/__bad-page-probe"
# Our policy, except that images may come from anywhere: so the request to the
# other host is not stopped by the CSP but reaches the test's guard.
CSP = ("default-src 'self'; img-src *; style-src 'self'; script-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'")
BAD_PAGE = f"""<!doctype html><html lang="en"><head><title>Probe</title></head><body><main>
<h1>Probe</h1>
<p style="color: #eee">Inline style attribute, refused by the policy.</p>
<script>document.title = "inline script, refused by the policy";</script>
<img src="http://tracker.example.invalid/pixel.png">
<p>{"lorem ipsum " * (PAGE_WEIGHT_LIMIT // 12 + 100)}</p>
</main></body></html>"""


@pytest.fixture()
def probe_context(browser, site):
    context = new_context(browser, site.url, "en", js=True)
    context.add_init_script(path=str(_axe_script()))
    context.route(f"**{PROBE}", lambda route: route.fulfill(
        status=200, body=BAD_PAGE, headers={"Content-Type": "text/html; charset=utf-8",
                                            "Content-Security-Policy": CSP}))
    yield context
    context.close()


def test_a_bad_page_fails_every_check(probe_context):
    visit = Visit(MainPage("probe", "visitor", path=PROBE), "en", PROBE)
    _Tab(probe_context).load(visit)

    assert visit.status == 200 and not visit.skipped and not visit.error
    assert any("inline style" in m.lower() for m in visit.csp_violations), visit.csp_violations
    assert any("inline script" in m.lower() for m in visit.csp_violations), visit.csp_violations
    assert visit.outside_requests == ["http://tracker.example.invalid/pixel.png"]
    assert visit.total_bytes > PAGE_WEIGHT_LIMIT
    assert "image-alt" in {violation["id"] for violation in visit.violations}
    assert visit.screenshot and visit.screenshot.endswith(".png")
