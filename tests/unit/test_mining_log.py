"""Reading event logs: case ids as text, equal timestamps, empty case ids; pm4py's reading."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from tests.support import pm4py_oracle
from upflux_etl.mining.columns import LogColumns
from upflux_etl.mining.dfg import directly_follows
from upflux_etl.mining.durations import case_durations, throughput_times
from upflux_etl.mining.errors import EventLogError
from upflux_etl.mining.read import read_event_log
from upflux_etl.mining.variants import variants
from upflux_etl.mining.xes import write_xes

# "NA" is a case; the empty case id is none; case x has three events at the same time.
CSV = """case;act;when;resource
NA;a;2024-01-01 10:00:00;r1
x;b;2024-01-01 09:00:00;r2
x;c;2024-01-01 09:00:00;
;a;2024-01-01 08:00:00;r1
x;a;2024-01-01 09:00:00;r1
NA;b;2024-01-01 10:30:00;r2
 ;z;2024-01-01 08:00:00;r1
null;a;2024-01-01 07:00:00;r1
"""


@pytest.fixture
def csv_log(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(CSV)
    return path


def test_case_ids_are_text_and_equal_timestamps_keep_file_order(csv_log):
    log = read_event_log(csv_log, LogColumns("case", "act", "when"), sep=";")
    assert list(log.cases) == ["NA", "x", "null"]
    assert log.without_case == 2  # "" and " ": no case, counted, not analysed
    assert log.n_events == 6
    found = variants(log).as_dict()
    assert found == {("a", "b"): 1, ("b", "c", "a"): 1, ("a",): 1}
    assert directly_follows(log).counts() == {("a", "b"): 1, ("b", "c"): 1, ("c", "a"): 1}
    assert sorted(case_durations(log).tolist()) == [0.0, 0.0, 1800.0]
    assert throughput_times(log, "a", "b").tolist() == [1800.0]
    assert log.resource is not None and log.resource.tolist()[:2] == ["r1", "r2"]


def test_same_as_pm4py_reading_the_same_file(csv_log):
    pm = pm4py_oracle.pm4py()
    ours = read_event_log(csv_log, LogColumns("case", "act", "when"), sep=";")
    # pm4py reads a frame; with pandas' defaults "NA", "null" and "" become missing and
    # pm4py drops those cases: only case x is left.
    default = pd.read_csv(csv_log, sep=";")
    theirs = pm.format_dataframe(default, case_id="case", activity_key="act", timestamp_key="when")
    assert set(theirs["case:concept:name"]) == {"x", " "}
    # Read as text (our reading), pm4py keeps "NA" and "null", and takes "" and " " as cases;
    # ours counts those two events apart. Without them, both readings agree exactly.
    text = pd.read_csv(csv_log, sep=";", dtype=str, keep_default_na=False)
    text = text[text["case"].str.strip() != ""]
    theirs = pm.format_dataframe(text, case_id="case", activity_key="act", timestamp_key="when")
    assert pm.get_variants(theirs) == variants(ours).as_dict()
    assert pm.discover_dfg(theirs)[0] == directly_follows(ours).counts()
    assert sorted(pm.get_all_case_durations(theirs)) == sorted(case_durations(ours).tolist())


def test_xes_round_trip_and_pm4py_reads_what_we_write(csv_log, tmp_path):
    log = read_event_log(csv_log, LogColumns("case", "act", "when"), sep=";")
    xes = tmp_path / "log.xes"
    write_xes(log.to_frame(), xes)
    again = read_event_log(xes)
    assert list(again.cases) == list(log.cases)
    assert variants(again).as_dict() == variants(log).as_dict()
    assert again.timestamp.tolist() == log.timestamp.tolist()
    theirs = pm4py_oracle.pm4py().read_xes(str(xes))
    assert pm4py_oracle.pm4py().get_variants(theirs) == variants(log).as_dict()
    packed = tmp_path / "log.xes.gz"
    packed.write_bytes(gzip.compress(xes.read_bytes()))
    assert variants(read_event_log(packed)).as_dict() == variants(log).as_dict()


def test_xes_written_in_parts_is_the_same_file(csv_log, tmp_path):
    """`upflux eventlog` writes XES a batch at a time: a case may go on in the next batch."""
    frame = read_event_log(csv_log, LogColumns("case", "act", "when"), sep=";").to_frame()
    whole, parts = tmp_path / "whole.xes", tmp_path / "parts.xes"
    write_xes(frame, whole)
    # batches of three: case x's events go on from the first into the second
    assert list(frame["case:concept:name"].iloc[2:4]) == ["x", "x"]
    write_xes((frame.iloc[i : i + 3] for i in range(0, len(frame), 3)), parts)
    assert parts.read_bytes() == whole.read_bytes()


def test_xes_trace_without_a_name_is_no_case(tmp_path):
    xes = tmp_path / "log.xes"
    xes.write_text(
        '<log xmlns="http://www.xes-standard.org/">'
        '<trace><string key="concept:name" value="NA"/>'
        '<event><string key="concept:name" value="a"/>'
        '<date key="time:timestamp" value="2024-01-01T10:00:00+01:00"/></event></trace>'
        '<trace><event><string key="concept:name" value="b"/>'
        '<date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event></trace></log>'
    )
    log = read_event_log(xes)
    assert list(log.cases) == ["NA"] and log.without_case == 1
    assert log.timestamp.tolist() == [pd.Timestamp("2024-01-01T09:00:00Z").value]


def test_bad_input_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("case_id,activity,timestamp\n1,a,2024-01-01\n1,b,yesterday\n")
    with pytest.raises(EventLogError, match=r"bad\.csv: column 'timestamp', event 2 \(line 3"):
        read_event_log(path)
    with pytest.raises(EventLogError, match=r"bad\.csv: no column 'kase' for the case"):
        read_event_log(path, LogColumns(case="kase"))
    path.write_text("id,what\n1,a\n")
    with pytest.raises(EventLogError, match=r"no case column found .* name it with --case"):
        read_event_log(path)


def test_variants_survive_hash_collisions(csv_log, monkeypatch):
    import numpy as np

    from upflux_etl.mining import variants as module

    log = read_event_log(csv_log, LogColumns("case", "act", "when"), sep=";")
    expected = variants(log).as_dict()
    # Base 1 makes every permutation of a sequence collide: the exact check must catch it.
    monkeypatch.setattr(module, "_BASE", np.uint64(1))
    assert variants(log).as_dict() == expected


def test_parquet_with_missing_values(tmp_path):
    path = tmp_path / "log.parquet"
    pd.DataFrame(
        {
            "case_id": ["1", None, "1", "", "NA"],
            "activity": ["a", "a", None, "b", "c"],
            "timestamp": pd.to_datetime(["2024-01-01 10:00"] * 4 + ["2024-01-02 00:00"]),
        }
    ).to_parquet(path)
    log = read_event_log(path)
    assert list(log.cases) == ["1", "NA"] and log.without_case == 2
    assert variants(log).as_dict() == {("a", ""): 1, ("c",): 1}
