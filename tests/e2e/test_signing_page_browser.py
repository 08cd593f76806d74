"""The signer's page in a real headless Chromium: opened from the emailed invitation of `undersign serve`,
documents drawn by pdf.js, fields guided, signed by mouse, declined, in Arabic, on a phone, without script,
scanned by axe-core. One browser and one installation for the module: the suite has a time budget.

Screenshots of each step land in build/test-artifacts/signing-page/ (not kept in git).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from tests.browser import DEFAULT_TIMEOUT_MS, chromium
from tests.e2e.signing_page_site import ARTIFACTS, Site, signing_site
from tests.pdf_checks import assert_trusted, pyhanko_statuses

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIELDS = {
    "company": {"kind": "text", "page": 1, "x": 72, "y": 120},
    "agree": {"kind": "checkbox", "page": 1, "x": 72, "y": 200, "width": 24, "height": 24},
    "signature": {"kind": "signature", "page": 2, "x": 72, "y": 600},
    "date": {"kind": "date_signed", "page": 2, "x": 300, "y": 600},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with signing_site(tmp_path_factory.mktemp("signing-page")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def new_tab(browser: Browser, **options: object) -> Page:
    context = await browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    tab = await context.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    tab.problems = problems  # type: ignore[attr-defined]
    return tab


async def shot(tab: Page, name: str) -> None:
    await tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def draw_signature(tab: Page) -> None:
    """A signature drawn with the mouse on the pad: it travels as a PNG."""
    pad = tab.locator(".pad-canvas")
    await pad.scroll_into_view_if_needed()
    box = await pad.bounding_box()
    assert box is not None
    await tab.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    await tab.mouse.down()
    for step in range(1, 12):
        await tab.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)))
    await tab.mouse.up()
    assert (await tab.input_value("#signature-image")).startswith("data:image/png;base64,")


async def rendered(tab: Page) -> None:
    await tab.wait_for_selector("body[data-rendered='true']")


async def test_a_signer_reads_the_rendered_document_is_guided_through_their_fields_draws_and_signs(
    site: Site, browser: Browser
) -> None:
    invitation = await site.invite(fields=FIELDS)
    tab = await new_tab(browser, viewport={"width": 1100, "height": 900})
    response = await tab.goto(invitation.link)
    assert response is not None and response.status == 200
    await rendered(tab)
    assert await tab.locator(".viewer canvas").count() == 2  # one per page
    assert await tab.locator(".overlay").count() == len(FIELDS)
    assert await tab.locator("h1").inner_text() == (await tab.title()).split(" · ")[0]
    await shot(tab, "a1-opened")

    # "Next field" takes the signer to the first required field that is not filled, in reading order.
    await tab.click("#next-field")
    company = f"#input-{invitation.fields['company']}"
    assert await tab.evaluate("document.activeElement.id") == company[1:]
    await tab.keyboard.type("Analytical Engines Ltd")
    overlay = tab.locator(f".overlay[data-field='{invitation.fields['company']}']")
    assert "filled" in (await overlay.get_attribute("class") or "")
    assert await overlay.inner_text() == "Analytical Engines Ltd"
    await tab.click("#next-field")
    assert await tab.evaluate("document.activeElement.id") == f"input-{invitation.fields['agree']}"
    await tab.locator(f".overlay[data-field='{invitation.fields['agree']}']").click()  # ticks the box
    assert await tab.is_checked(f"#input-{invitation.fields['agree']}")

    await draw_signature(tab)
    assert await tab.locator("#progress").inner_text() == "All required fields are filled in."
    await tab.check("#consent")
    await shot(tab, "a2-filled")
    await tab.set_viewport_size({"width": 1280, "height": 1100})
    await tab.evaluate("window.scrollTo(0, 0)")
    await tab.screenshot(path=str(ARTIFACTS / "a2-filled-desktop.png"))  # what the README shows
    await tab.click("#sign-form button[type=submit]")
    await tab.wait_for_selector(".done")
    assert "You signed this on" in await tab.locator(".done").inner_text()
    await shot(tab, "a3-signed")
    assert tab.problems == []  # type: ignore[attr-defined]

    async with site.client() as api:
        signed = await api.get(f"/v1/envelopes/{invitation.envelope_id}/documents/{invitation.document_id}/content")
    assert signed.status_code == 200
    (status, *_) = pyhanko_statuses(signed.content, site.trust_root)
    assert_trusted(status)
    await tab.context.close()


async def test_b_a_signer_declines_with_a_reason(site: Site, browser: Browser) -> None:
    invitation = await site.invite(fields={"signature": FIELDS["signature"]})
    tab = await new_tab(browser)
    await tab.goto(invitation.link)
    await tab.fill("#reason", "The rent is wrong.")
    await shot(tab, "b1-declining")
    await tab.click(".decline button[type=submit]")
    # Declining closes the envelope, and with it every link to it.
    assert "This envelope is closed" in await tab.locator("main").inner_text()
    async with site.client() as api:
        envelope = (await api.get(f"/v1/envelopes/{invitation.envelope_id}")).json()
    assert envelope["status"] == "declined"
    await shot(tab, "b2-declined")
    await tab.context.close()


async def test_c_a_made_up_link_is_a_404_page_and_a_replaced_one_a_410_page(site: Site, browser: Browser) -> None:
    tab = await new_tab(browser)
    missing = await tab.goto(f"{site.url}/sign/no-such-link")
    assert missing is not None and missing.status == 404
    assert "does not exist" in await tab.locator("main").inner_text()
    await shot(tab, "c1-unknown")

    invitation = await site.invite(fields={"signature": FIELDS["signature"]})
    async with site.client() as api:
        newer = await api.post(
            f"/v1/envelopes/{invitation.envelope_id}/signers/{invitation.signer_id}/signing-link", json={}
        )
    assert newer.status_code == 201, newer.text
    replaced = await tab.goto(invitation.link)
    assert replaced is not None and replaced.status == 410
    assert "A newer link was sent to you" in await tab.locator("main").inner_text()
    await shot(tab, "c2-replaced")
    await tab.context.close()


async def test_d_the_page_in_arabic_runs_right_to_left(site: Site, browser: Browser) -> None:
    policy = await site.policy(languages=["en", "ar"])
    invitation = await site.invite(fields={"signature": FIELDS["signature"]}, policy_id=policy, name="سلمى حداد")
    tab = await new_tab(browser, viewport={"width": 1000, "height": 900}, locale="ar")
    await tab.goto(invitation.link)  # the browser asks for Arabic
    await rendered(tab)
    assert await tab.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    assert await tab.locator("#sign-h").inner_text() == "وقِّع"
    # The heading's box sits against the right edge of the page's content.
    heading, main = await tab.locator("#sign-h").bounding_box(), await tab.locator("main").bounding_box()
    assert heading is not None and main is not None
    assert abs((heading["x"] + heading["width"]) - (main["x"] + main["width"] - 16)) < 2
    assert await tab.evaluate("getComputedStyle(document.querySelector('#sign-h')).textAlign") in ("start", "right")
    await shot(tab, "d1-arabic")
    await tab.goto(f"{invitation.link}?lang=en")  # chosen on the page over the browser's wish
    assert await tab.evaluate("document.documentElement.dir") == "ltr"
    await tab.context.close()


async def test_e_on_a_phone_nothing_scrolls_sideways(site: Site, browser: Browser) -> None:
    invitation = await site.invite(fields=FIELDS)
    tab = await new_tab(
        browser, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    await tab.goto(invitation.link)
    await rendered(tab)
    assert await tab.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for selector in ("#signature-text", "#reason", ".pad-canvas", ".viewer canvas"):
        box = await tab.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, selector
    await shot(tab, "e1-phone")
    await tab.context.close()


async def test_f_axe_core_finds_nothing_serious(site: Site, browser: Browser) -> None:
    invitation = await site.invite(fields=FIELDS)
    policy = await site.policy(languages=["ar", "en"])
    arabic = await site.invite(fields=FIELDS, policy_id=policy)
    with_code = await site.invite(fields=FIELDS, authentication={"method": "email_otp"})
    tab = await new_tab(browser)
    pages = {
        "page": invitation.link, "arabic": arabic.link, "code step": with_code.link,
        "unknown": f"{site.url}/sign/no-such-link",
    }  # fmt: skip
    serious = {}
    for name, url in pages.items():
        await tab.goto(url)
        if name in ("page", "arabic"):
            await rendered(tab)
        results = await Axe().run(tab)
        serious[name] = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    assert serious == {name: [] for name in pages}
    await tab.context.close()


async def test_g_without_javascript_the_page_reads_and_a_typed_signature_signs(site: Site, browser: Browser) -> None:
    invitation = await site.invite(fields=FIELDS)
    tab = await new_tab(browser, java_script_enabled=False)
    await tab.goto(invitation.link)
    text = await tab.locator("main").inner_text()
    assert "Loading" not in text and "Please read the lease" in text and "lease.pdf" in text
    assert await tab.locator("#guide").is_hidden()
    await tab.fill(f"#input-{invitation.fields['company']}", "Difference Engines")
    await tab.check(f"#input-{invitation.fields['agree']}")
    await tab.fill("#signature-text", "Ada King")
    await tab.check("#consent")
    await shot(tab, "g1-no-script")
    await tab.click("#sign-form button[type=submit]")
    await tab.wait_for_selector(".done")
    await shot(tab, "g2-no-script-signed")
    async with site.client() as api:
        envelope = (await api.get(f"/v1/envelopes/{invitation.envelope_id}")).json()
    assert envelope["status"] == "completed"
    await tab.context.close()


async def test_h_an_emailed_code_lets_the_signer_in_and_wrong_codes_lock_them_out(site: Site, browser: Browser) -> None:
    invitation = await site.invite(fields={"signature": FIELDS["signature"]}, authentication={"method": "email_otp"})
    tab = await new_tab(browser)
    await tab.goto(invitation.link)
    assert await tab.locator(".viewer").count() == 0  # nothing of the documents before the code
    await tab.click(".auth button[type=submit]")  # send me a code
    # By its subject: any other mail to the signer (a second copy of the invitation, say) is not it.
    code_mail = await site.mail_to(invitation.email, f"Your code to sign: {invitation.subject}")
    code = re.search(r"\b(\d{6})\b", code_mail.get_body(("plain",)).get_content()).group(1)
    await shot(tab, "h1-code-asked")
    await tab.fill("#code", code)
    await tab.click(".auth form button[type=submit]")
    await rendered(tab)
    assert await tab.locator(".viewer canvas").count() == 2
    await shot(tab, "h2-code-passed")
    await draw_signature(tab)
    await tab.check("#consent")
    await tab.click("#sign-form button[type=submit]")  # the whole ceremony: code, pages, drawn signature, done
    await tab.wait_for_selector(".done")
    assert "You signed this on" in await tab.locator(".done").inner_text()
    await shot(tab, "h3-signed-after-code")
    await tab.context.close()

    other = await site.invite(fields={"signature": FIELDS["signature"]}, authentication={"method": "email_otp"})
    tab = await new_tab(browser)
    await tab.goto(other.link)
    await tab.click(".auth button[type=submit]")
    for _ in range(10):
        if await tab.locator("#code").count() == 0:
            break
        await tab.fill("#code", "000000")
        await tab.click(".auth form button[type=submit]")
        assert await tab.locator("[role=alert]").count() >= 1
    assert "Too many wrong codes" in await tab.locator("[role=alert]").inner_text()
    assert await tab.locator("#code").count() == 0  # nothing more to try
    await shot(tab, "h4-locked")
    await tab.context.close()
