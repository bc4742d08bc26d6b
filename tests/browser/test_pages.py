"""What a person does in the browser: log in, open the tree lazily, fill a form, use a phone."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tree_loads_children_on_demand(page_for, live_server, world):
    page = page_for("orgadmin", "pw-org-123")
    page.goto(live_server.url + "/orgs/")
    assert page.locator(".tree-name", has_text="集团党委").is_visible()
    assert page.locator(".tree-name", has_text="装卸一队党支部").count() == 0
    page.locator(f"button[aria-controls='kids-{world.zz.pk}']").click()
    page.locator(".tree-name", has_text="装卸一队党支部").wait_for()
    page.locator(".tree-name", has_text="装卸一队党支部").click()
    page.wait_for_url("**/orgs/B1/")
    assert "正式党员2人，少于3人" in page.content()
    assert page.js_errors == []


def test_member_form_offers_the_chosen_branchs_groups_and_shows_errors(page_for, live_server, world):
    page = page_for("orgadmin", "pw-org-123")
    page.goto(live_server.url + "/members/new/")
    page.select_option("#id_branch", "B1")
    page.locator("#id_group option", has_text="第一党小组").wait_for(state="attached")
    page.fill("#id_id_number", "110105194912310021")
    page.fill("#id_name", "测试")
    page.select_option("#id_category", "full")
    page.locator("form button[type=submit]").last.click()
    page.locator("text=身份证号校验位错误").first.wait_for()
    assert page.js_errors == []


def test_member_list_on_a_phone(page_for, live_server, world):
    page = page_for("sec1", "pw-sec-123", width=390)
    page.goto(live_server.url + "/members/")
    page.locator(".member-cards >> text=李党员").wait_for(state="visible")
    # The sidebar folds away on a phone and opens from the menu button.
    assert not page.locator("#sidebar .nav-link", has_text="党员名册").is_visible()
    page.locator("button[aria-controls=sidebar]").click()
    page.locator("#sidebar .nav-link", has_text="党员名册").wait_for(state="visible")
    # The page itself never scrolls sideways; wide tables scroll inside their own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert page.js_errors == []
