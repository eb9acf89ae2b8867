"""Bad input, fuzzed with hypothesis: every input gets a clear one-line error or a valid result, never a traceback
or a hang. CLI arguments (in-process, no server), settings (env and TOML file), the structured-output parser and
the reply parser."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.agents._common import parse_json
from assay.agents.reviewer import ReviewOut
from assay.errors import MalformedResponse, SettingsError
from assay.llm import _parse
from assay.settings import Settings, load_settings

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CLI = settings(FAST, max_examples=30)  # each example is a whole CLI invocation
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
FLAGS = ["--graph", "-g", "--kind", "--json", "--thread", "--budget-tokens", "--budget-calls", "--human", "--tests",
         "--reference", "--model", "--base-url", "--show", "--help", "--nope", "-x", "--"]  # fmt: skip
ODD = ["adaptive", "code", "math", "0", "-1", "99999999999999999999", "", "nan", "http://127.0.0.1:1", "ftp://x",
       "/nonexistent/tests.txt", "\x00"]  # fmt: skip
VALUES = st.one_of(TEXT, st.sampled_from(ODD))
ARGS = st.lists(st.one_of(st.sampled_from(FLAGS), VALUES), max_size=6)


def cli(argv: list[str]) -> tuple[int, str]:
    """Run ``assay ARGV`` in-process: (exit code, stderr)."""
    from assay.cli.main import main

    err = io.StringIO()
    code: int | str | None = 0
    old = sys.argv
    sys.argv = ["assay", *argv]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = old
    return (code if isinstance(code, int) else 1), err.getvalue()


@CLI
@given(command=st.sampled_from(["run", "graphs", "status"]), args=ARGS)
def test_cli_arguments_never_give_a_traceback(command: str, args: list[str]) -> None:
    if command == "status":
        args = [a for a in args if not a.startswith("http")]  # a reachable URL would be probed over the network
    code, err = cli([command, *args])
    assert "Traceback" not in err
    if code not in (0,):
        lines = [line for line in err.splitlines() if line.strip()]
        assert (lines and lines[-1].startswith("assay: error:")) or "Usage" in err, err


SETTING_VARS = ["ASSAY_TIMEOUT_S", "ASSAY_MAX_ATTEMPTS", "ASSAY_SAMPLES", "ASSAY_BASE_URL", "ASSAY_STREAM_IDLE_S",
                "ASSAY_TEMPERATURE", "ASSAY_RESTART_SERVERS", "ASSAY_BUDGET_CALLS", "ASSAY_MAX_WAIT_S",
                "ASSAY_REPLY_PREFIX"]  # fmt: skip


@FAST
@given(env=st.dictionaries(st.sampled_from(SETTING_VARS), VALUES, max_size=4))
def test_settings_from_the_environment_are_valid_or_one_clear_error(env: dict[str, str]) -> None:
    env = {k: v.replace("\x00", "") for k, v in env.items()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        loaded = load_settings()
        assert isinstance(loaded, Settings)
    except SettingsError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("invalid setting", "cannot read settings"))
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


TOML_VALUES = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), TEXT, st.lists(st.integers()))


@FAST
@given(body=st.one_of(TEXT, st.dictionaries(st.sampled_from(["timeout_s", "samples", "model", "base_url",
                                                           "max_attempts", "nope", "home"]), TOML_VALUES)))  # fmt: skip
def test_a_settings_file_is_valid_or_one_clear_error(body: str | dict[str, Any], tmp_path_factory: Any) -> None:
    path = Path(tmp_path_factory.mktemp("toml")) / "assay.toml"
    if isinstance(body, dict):
        body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in body.items())
    path.write_text(body, encoding="utf-8")
    old = os.environ.get("ASSAY_CONFIG")
    os.environ["ASSAY_CONFIG"] = str(path)
    try:
        assert isinstance(load_settings(), Settings)
    except SettingsError as exc:
        assert "\n" not in str(exc)
    finally:
        os.environ["ASSAY_CONFIG"] = old or ""


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


@FAST
@given(text=st.one_of(TEXT, JSONISH.map(json.dumps), st.builds(lambda a, b: a + "{" + b, TEXT, TEXT)))
def test_the_structured_output_parser_returns_a_model_or_none(text: str) -> None:
    parsed = parse_json(text, ReviewOut)
    assert parsed is None or isinstance(parsed, ReviewOut)


@FAST
@given(data=st.dictionaries(st.sampled_from(["choices", "usage", "model", "data"]), JSONISH, max_size=4))
def test_the_reply_parser_returns_a_result_or_malformed(data: dict[str, Any]) -> None:
    for parse in (
        lambda d: _parse.parse_completion(d, chat=True, latency_s=0.0),
        lambda d: _parse.parse_completion(d, chat=False, latency_s=0.0),
        lambda d: _parse.parse_score(d, keep_top=True),
        _parse.parse_classify,
        _parse.parse_embeddings,
        _parse.parse_stream_event,
    ):
        try:
            _parse.checked("http://x", "/p", parse, data)
        except MalformedResponse as exc:
            assert "\n" not in str(exc)
