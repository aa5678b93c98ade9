import logging

from player.ratelimit import RateLimitFilter, install


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_repeats_are_held_back_then_counted():
    clock = [0.0]
    handler = ListHandler()
    handler.addFilter(RateLimitFilter(interval=300, monotonic=lambda: clock[0]))
    log = logging.getLogger("test.ratelimit")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        for _ in range(100):  # a render loop meeting the same broken file
            log.warning("cannot decode %s: %s", "media/a.mp4", "invalid data")
            clock[0] += 1
        log.warning("cannot decode %s: %s", "media/b.mp4", "invalid data")
        log.info("an info line is never limited")
        log.info("an info line is never limited")
        clock[0] = 400.0
        log.warning("cannot decode %s: %s", "media/a.mp4", "invalid data")
        log.warning("100% full")
    finally:
        log.removeHandler(handler)
    assert handler.lines == [
        "cannot decode media/a.mp4: invalid data",
        "cannot decode media/b.mp4: invalid data",
        "an info line is never limited", "an info line is never limited",
        "cannot decode media/a.mp4: invalid data [repeated 99 more times in the last 400 s]",
        "100% full",
    ]


def test_install_adds_one_filter_to_every_handler():
    logger = logging.getLogger("test.ratelimit.install")
    first, second = ListHandler(), ListHandler()
    logger.addHandler(first)
    logger.addHandler(second)
    try:
        limiter = install(60, logger)
        assert limiter in first.filters and limiter in second.filters
    finally:
        logger.removeHandler(first)
        logger.removeHandler(second)
