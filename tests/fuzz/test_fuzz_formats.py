"""Fuzzing the other parsers: each eval format, zip and tar.gz members, the Action's inputs, and
RFC 3339 timestamps on their own.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fuzz_support import FUZZ, HUGE_DIGITS, mutate, outcome
from hypothesis import given
from hypothesis import strategies as st

from gate.action import INPUTS, parse_inputs, run
from gate.errors import GateError, InputError, SourceError, UsageError
from gate.model import Origin
from gate.policy import load_policy
from gate.sources.archives import archive_documents
from gate.sources.base import Limits
from gate.sources.evals import FORMATS, detect_format, eval_events_from_bytes, parse_eval
from gate.sources.events import EventCollector
from gate.timefmt import MAX_NS, MIN_NS, NS, TimeFormatError, format_timestamp, parse_timestamp

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "evals"
EVAL_FILES = {
    "lm-eval": FIX / "lm-eval" / "modern_current.json",
    "promptfoo": FIX / "promptfoo" / "export_current.json",
    "inspect": FIX / "samples" / "inspect_ai" / "log_formats.json",
    "openai-evals": FIX / "openai-evals" / "self_prompting_current.jsonl",
}
INSPECT_ZIP = FIX / "samples" / "inspect_ai" / "mmlu-summary-choices.eval"
SPEC = (ROOT / "examples" / "spec-contract.yaml").read_bytes()
TYPES = load_policy("spec-locked-drift").types
LM = '{{"results": {{"t": {{"acc,none": {v}}}}}, "versions": {{}}{extra}}}'

# Each is a broken eval file: it must be refused (exit 2) naming the file, never an internal error.
EVAL_BROKEN: dict[str, tuple[str, bytes, str]] = {
    "huge-int-metric": ("lm-eval", LM.format(v="9" * 400, extra="").encode(), "no numeric metric"),
    "4301-digit-metric": ("lm-eval", LM.format(v=HUGE_DIGITS, extra="").encode(), "more than 4300 digits"),
    "1e400-metric": ("lm-eval", LM.format(v="1e400", extra="").encode(), "no numeric metric"),
    "nan-metric": ("lm-eval", LM.format(v="NaN", extra="").encode(), "no numeric metric"),
    "duplicate-metric": (
        "lm-eval",
        b'{"results": {"t": {"acc,none": 0.5, "acc,none": 0.9}}, "versions": {}}',
        "duplicate key",
    ),
    "date-1e300": (
        "lm-eval",
        LM.format(v="0.5", extra=', "date": 1e300').encode(),
        "outside the years 1 to 9999",
    ),
    "date-huge-int": ("lm-eval", LM.format(v="0.5", extra=', "date": ' + "9" * 400).encode(), "date:"),
    "date-leap-second": (
        "lm-eval",
        LM.format(v="0.5", extra=', "date": "2016-12-31T23:59:60Z"').encode(),
        "date:",
    ),
    "date-fullwidth": (
        "lm-eval",
        LM.format(v="0.5", extra=', "date": "\uff12016-12-31T23:59:59Z"').encode(),
        "date:",
    ),
    "date-offset-minutes-99": (
        "lm-eval",
        LM.format(v="0.5", extra=', "date": "2016-12-31T23:59:59+00:99"').encode(),
        "date:",
    ),
    "truncated": ("lm-eval", LM.format(v="0.5", extra="").encode()[:30], "invalid JSON"),
    "deep": ("lm-eval", b"[" * 100_000, "nested too deeply"),
    "promptfoo-created-1e300": (
        "promptfoo",
        json.dumps(
            {
                "prompts": [
                    {
                        "provider": "p",
                        "id": "x",
                        "metrics": {"testPassCount": 1, "testFailCount": 0, "score": 1},
                    }
                ],
                "results": [],
                "createdAt": 1e300,
            }
        ).encode(),
        "createdAt",
    ),
    "promptfoo-huge-count": (
        "promptfoo",
        (
            '{"prompts": [{"provider": "p", "id": "x", "metrics": {"testPassCount": '
            + "9" * 400
            + ', "testFailCount": 0, "score": 1}}], "results": [], "createdAt": 1}'
        ).encode(),
        "expected a count",
    ),
    "openai-huge-int": (
        "openai-evals",
        (
            '{"spec": {"base_eval": "x", "created_at": "2024-01-01 00:00:00"}}\n{"final_report": {"acc": '
            + HUGE_DIGITS
            + "}}\n"
        ).encode(),
        ":2: invalid JSON line: an integer with more than 4300 digits",
    ),
    "openai-fullwidth-time": (
        "openai-evals",
        '{"spec": {"base_eval": "x", "created_at": "2024-01-01 00:00:0\uff11"}}\n{"final_report": {"acc": 1}}\n'.encode(),
        "spec.created_at",
    ),
    "openai-truncated": ("openai-evals", b'{"spec": {"base_eval": "x"}}\n{"final_rep', ":2:"),
    "inspect-not-a-zip": ("inspect", b"PK\x03\x04" + b"\x00" * 40, "not a readable .eval archive"),
}


@pytest.mark.parametrize("case", sorted(EVAL_BROKEN))
def test_broken_eval_files_are_refused(case: str) -> None:
    fmt, data, fragment = EVAL_BROKEN[case]
    name = f"{case}.eval" if fmt == "inspect" else f"{case}.json"
    err = outcome(lambda: parse_eval(name, data, fmt), name)
    assert isinstance(err, InputError), f"{case} was accepted"
    assert fragment in err.message, err.message


def test_fullwidth_digits_are_not_an_n_shot() -> None:
    data = LM.format(v="0.5", extra=', "n-shot": {"t": "\uff15"}, "date": 1700000000').encode()
    assert parse_eval("r.json", data, "lm-eval").tasks[0].n_shot is None


@FUZZ
@given(
    fmt=st.sampled_from(sorted(EVAL_FILES)),
    kind=st.integers(0, 3),
    pos=st.integers(0, 20_000),
    blob=st.binary(max_size=8)
    | st.sampled_from([b"NaN", b"1e400", b"9" * 400, b'"', b"{", b"]", b"\xff", b"\x00"]),
    auto=st.booleans(),
)
def test_mutated_eval_files(fmt: str, kind: int, pos: int, blob: bytes, auto: bool) -> None:
    path = EVAL_FILES[fmt]
    data = mutate(path.read_bytes(), kind, pos, blob)
    outcome(lambda: parse_eval(path.name, data, "auto" if auto else fmt), path.name)


@FUZZ
@given(kind=st.integers(0, 3), pos=st.integers(0, 10_000), blob=st.binary(min_size=1, max_size=8))
def test_mutated_inspect_archives(kind: int, pos: int, blob: bytes) -> None:
    data = mutate(INSPECT_ZIP.read_bytes(), kind, pos, blob)
    outcome(lambda: parse_eval("log.eval", data), "log.eval")


@FUZZ
@given(
    fmt=st.sampled_from(sorted(EVAL_FILES)),
    kind=st.integers(0, 3),
    pos=st.integers(0, 5000),
    blob=st.binary(max_size=6),
)
def test_eval_to_events_with_a_mutated_spec(fmt: str, kind: int, pos: int, blob: bytes) -> None:
    path = EVAL_FILES[fmt]
    spec = mutate(SPEC, kind, pos, blob)
    result = outcome(
        lambda: eval_events_from_bytes(
            (path.name, path.read_bytes()), spec=("spec.yaml", spec), timestamp="2024-05-01T00:00:00Z"
        ),
        "",  # the spec's or the eval file's name: either may come first
    )
    if not isinstance(result, GateError):
        collector = EventCollector(TYPES)  # what the adapter made is read by the gate like any event
        for line in result.jsonl().splitlines():
            collector.add_record(json.loads(line), Origin("eval", None))


def test_every_format_is_covered() -> None:
    assert set(EVAL_FILES) == set(FORMATS)
    for fmt, path in EVAL_FILES.items():
        assert detect_format(path.name, path.read_bytes()) == fmt


# -- archives --------------------------------------------------------------------------------------

EVENT = b'{"type":"run_started","timestamp":"2024-05-01T10:00:00Z","id":"e1"}\n'


def make_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/events.jsonl", EVENT * 20)
        zf.writestr("b.yaml", b"- {type: run_started, timestamp: '2024-05-01T10:00:00Z'}\n")
        zf.writestr("notes.txt", b"hello")
    return buf.getvalue()


def make_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (("events.jsonl", EVENT * 20), ("x/y.json", b"[" + EVENT.strip() + b"]")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


ARCHIVES = {"ev.zip": make_zip(), "ev.tar.gz": make_tar()}


def read_archive(name: str, data: bytes, remote: bool) -> int:
    collector = EventCollector(TYPES, Limits(max_archive_members=50))
    for doc in archive_documents(name, data, Limits(max_archive_members=50), remote=remote):
        collector.add_document(doc)
    return collector.records


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_intact_archives_read(name: str) -> None:
    assert read_archive(name, ARCHIVES[name], remote=False) >= 21


@FUZZ
@given(
    name=st.sampled_from(sorted(ARCHIVES)),
    kind=st.integers(0, 3),
    pos=st.integers(0, 5000),
    blob=st.binary(min_size=1, max_size=8),
    remote=st.booleans(),
)
def test_corrupted_archives(name: str, kind: int, pos: int, blob: bytes, remote: bool) -> None:
    data = mutate(ARCHIVES[name], kind, pos, blob)
    # A corrupt local archive is the user's input (2); a corrupt download is an unreadable source (3).
    # Member content that decodes but is not valid events is always an input error (2).
    result = outcome(lambda: read_archive(name, data, remote), name, exit_code=(2, 3) if remote else 2)
    if isinstance(result, SourceError):
        assert "corrupt or unreadable archive" in result.message


# -- the Action's inputs ---------------------------------------------------------------------------

input_text = st.text(max_size=30) | st.sampled_from(
    ["true", "TRUE", "yes", "1", "0", "-1", "65", "\uff11", " \n ", "a,b c", "#x", "9" * 50, "\x00"]
)


@FUZZ
@given(values=st.dictionaries(st.sampled_from(sorted(INPUTS)), input_text, max_size=6))
def test_arbitrary_action_inputs(values: dict[str, str]) -> None:
    env = {"INPUT_" + k.upper(): v for k, v in values.items()}
    env.setdefault("INPUT_EVENTS", "events.jsonl")
    try:
        request, options = parse_inputs(env)
    except UsageError as e:
        assert e.message.startswith(("input '", "--")), e.message  # the input or the option it maps to
        assert "\n" not in e.message
        return
    assert 0 <= request.jobs <= 64
    assert isinstance(options.comment, bool)


def test_a_hostile_key_cannot_inject_a_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fork's event file with a key that tries to start a line of its own on the runner's log.
    monkeypatch.chdir(tmp_path)
    Path("events.jsonl").write_text(
        '{"type":"run_started","timestamp":"2024-05-01T10:00:00Z","x\\n::warning::pwned":1}\n',
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    code = run({"INPUT_EVENTS": "events.jsonl", "INPUT_COMMENT": "false"}, stdout=out, stderr=err)
    assert code == 2
    lines = out.getvalue().splitlines() + err.getvalue().splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::warning")]
    (error,) = [line for line in lines if line.startswith("::error")]
    assert "events.jsonl:1: x\\n::warning::pwned: unknown field" in error


# -- timestamps ------------------------------------------------------------------------------------


@FUZZ
@given(
    when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    nanos=st.integers(0, 999),
    offset_minutes=st.integers(-12 * 60, 14 * 60),
)
def test_rfc3339_round_trip(when: datetime, nanos: int, offset_minutes: int) -> None:
    tz = timezone(timedelta(minutes=offset_minutes))
    local = when.replace(tzinfo=tz)
    sign = "-" if offset_minutes < 0 else "+"
    text = (
        local.strftime("%Y-%m-%dT%H:%M:%S")
        + f".{local.microsecond:06d}{nanos:03d}"
        + (f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}")
    )
    text = ("0" * (4 - len(text.split("-")[0]))) + text  # strftime drops the zero padding of years < 1000
    expected = (local - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1) * 1000 + nanos
    ns = parse_timestamp(text)
    assert ns == expected
    assert parse_timestamp(format_timestamp(ns)) == ns


@FUZZ
@given(text=st.text(alphabet="0123456789-+:.TZtz \uff10\uff11\u0660", max_size=36) | st.text(max_size=36))
def test_arbitrary_timestamp_text(text: str) -> None:
    try:
        ns = parse_timestamp(text)
    except TimeFormatError as e:
        assert str(e)
        return
    assert MIN_NS <= ns <= MAX_NS
    assert text.isascii()  # look-alike digits are never read as digits
    assert ns % 1 == 0 and abs(ns) < 400_000 * 365 * 86400 * NS
