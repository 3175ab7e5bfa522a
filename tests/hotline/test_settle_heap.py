"""What a started process built is kept out of later garbage collections."""

import gc

from hotline.runtime import settle_heap


def test_what_startup_built_is_left_out_of_later_collections():
    class Built:  # a cyclic structure, like the ORM's mappers or the routes: the collector tracks it
        pass

    built = Built()
    built.me = built
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert not any(o is built for o in gc.get_objects())  # no collection will scan it again
        later = Built()
        later.me = later
        assert any(o is later for o in gc.get_objects())  # what the running service makes still is
    finally:
        gc.unfreeze()
