from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.treepaths import ALPHABET, successor

paths = st.text(alphabet=ALPHABET, min_size=4, max_size=16)


def test_successor_increments_with_carry():
    assert successor("0001") == "0002"
    assert successor("0009") == "000A"
    assert successor("000Z") == "0010"
    assert successor("ZZZZ") is None


@given(paths, paths)
def test_range_is_exactly_the_prefix(root, other):
    upper = successor(root)
    in_range = other >= root and (upper is None or other < upper)
    assert in_range == other.startswith(root)
