"""The source's rows-per-second pace: waits computed from the clock, the limit validated."""

from __future__ import annotations

import pyarrow as pa
import pytest
import yaml

from tests.support.demo import write_demo_client
from upflux_etl.catalog.errors import ConfigError
from upflux_etl.catalog.models import SourceSpec
from upflux_etl.catalog.reader import read_catalog, read_client
from upflux_etl.extract.throttle import Pace, paced


class _Clock:
    """A clock that moves only when slept on or when the source takes time."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _batches(clock: _Clock, sizes: list[int], read_s: float = 0.0):
    for size in sizes:
        clock.now += read_s  # the source's own time to produce the batch
        yield pa.record_batch({"n": pa.array(range(size))})


def test_batches_are_paced_to_the_limit_from_the_clock():
    clock, pace = _Clock(), Pace()
    sizes = [500, 500, 300, 700]
    out = list(paced(_batches(clock, sizes), 1000, pace, clock=clock, sleep=clock.sleep))
    assert [b.num_rows for b in out] == sizes
    assert pace.rows == 2000
    assert clock.now - 100.0 == pytest.approx(2.0)  # 2000 rows at 1000 rows/s
    assert clock.slept == pytest.approx([0.5, 0.5, 0.3, 0.7])
    assert pace.waited_s == pytest.approx(2.0)


def test_a_source_slower_than_the_limit_is_not_slowed_further():
    clock = _Clock()
    list(paced(_batches(clock, [100, 100], read_s=1.0), 1000, clock=clock, sleep=clock.sleep))
    assert clock.slept == []


def test_without_a_limit_nothing_waits():
    clock, pace = _Clock(), Pace()
    list(paced(_batches(clock, [10, 20]), None, pace, clock=clock, sleep=clock.sleep))
    assert clock.slept == [] and pace.rows == 30


@pytest.mark.parametrize("value", [0, -5, 1.5, "fast", True])
def test_a_rate_that_is_not_a_positive_whole_number_is_refused(value):
    with pytest.raises(ValueError, match="max_rows_per_second must be a whole number"):
        SourceSpec(profile="hospitalis", url_env="X", max_rows_per_second=value)


def test_the_refused_rate_names_the_client_file_and_field(settings, pseudonym_key):
    path = write_demo_client(settings.clients_dir, "paced")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"]["erp"]["max_rows_per_second"] = 0
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_client(path, read_catalog(settings))
    assert str(path) in str(err.value)
    assert "sources.erp.max_rows_per_second" in str(err.value)
    data["sources"]["erp"]["max_rows_per_second"] = 5000
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert read_client(path, read_catalog(settings)).sources["erp"].max_rows_per_second == 5000
