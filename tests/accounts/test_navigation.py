"""The navigation bar marks the one section a page belongs to, by role."""

import pytest
from django.test import RequestFactory

from fangpin.accounts.context import navigation

pytestmark = pytest.mark.django_db


def _active(user, path):
    request = RequestFactory().get(path)
    request.user = user
    return [i["label"] for i in navigation(request)["nav_items"] if i["active"]]


@pytest.mark.parametrize("path, label", [
    ("/assistance/departments/lists/villages/3/", "帮扶清单"),
    ("/assistance/departments/", "部门帮扶"),
    ("/assistance/policies/", "政策清单"),
    ("/households/", "农户信息"),
])
def test_exactly_one_section_is_marked(personas, path, label):
    assert _active(personas["county_officer"], path) == [label]


def test_the_home_page_marks_nothing_else_and_roles_see_their_sections(personas):
    assert _active(personas["county_officer"], "/") == []
    labels = [i["label"] for i in navigation(_request(personas["department"]))["nav_items"]]
    assert "部门帮扶" in labels and "帮扶清单" not in labels and "数据导入" not in labels


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request
