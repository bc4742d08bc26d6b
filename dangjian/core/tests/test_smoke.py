import pytest

from dangjian.orgs.models import Organization


@pytest.mark.django_db
def test_world_fixture_builds(world):
    assert world.b1.path.startswith(world.zz.path)
    assert Organization.objects.get_parent(world.g1).code == "B1"
