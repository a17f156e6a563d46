"The test suite's own arrangements: the files it hands to the workers first exist, so a renamed file does not silently fall back to the end of the queue."
from pathlib import Path
from conftest import SLOWEST_FIRST


def test_the_slowest_first_list_names_existing_test_files():
    here = Path(__file__).parent
    assert [name for name in SLOWEST_FIRST if not (here / name).is_file()] == []
    assert len(set(SLOWEST_FIRST)) == len(SLOWEST_FIRST)
