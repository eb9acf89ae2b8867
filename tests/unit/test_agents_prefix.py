"""Reply prefixes: a code stub (or "Step 1:" for math) starts the reply, and the model writes the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.agents._prefix import code_stub
from assay.agents.refiner import refine
from assay.agents.solver import solve
from assay.context import RunContext
from assay.eval.humaneval import make_item, read_problems
from assay.settings import load_settings
from assay.state import Candidate, RunState, Task
from assay.testing import FakeLLM
from assay.tools.sandbox import run_python

STUB = 'def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    """\n'


def ctx_for(tmp_path: Path, fake: FakeLLM, **settings: object) -> RunContext:
    return RunContext(settings=load_settings(home=tmp_path, samples=2, **settings), llm=fake.client())


@pytest.mark.parametrize(
    ("question", "kind", "want"),
    [
        (STUB, "code", STUB),
        (STUB + "    pass\n", "code", STUB),  # a filler body is dropped: the model writes it
        (STUB.rstrip() + "\n    ...\n\n# trailing comment\n", "code", STUB),
        ("import math\n\n" + STUB, "code", "import math\n\n" + STUB),
        ("Write a function that adds two numbers.", "code", None),  # prose is not a stub
        ("def add(a, b):\n    return a + b\n", "code", None),  # a function with a body is not a stub
        ('def f():\n    """doc"""\n    x = 1\n', "code", None),
        ("def broken(:\n", "code", None),
        (STUB, "math", None),
    ],
)
def test_code_stub_detection(question: str, kind: str, want: str | None) -> None:
    assert code_stub(Task(question=question, kind=kind)) == want  # type: ignore[arg-type]


def test_every_humaneval_prompt_is_a_stub_that_keeps_its_text() -> None:
    for problem in read_problems():
        stub = code_stub(make_item(problem).task)
        assert stub is not None, problem["task_id"]
        assert problem["prompt"].startswith(stub.rstrip()), problem["task_id"]


async def test_solver_sends_the_stub_and_the_answer_is_stub_plus_body(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Return a + b", texts=["    return a + b\n", "    return a - b"])
    update = await solve(RunState(task=Task(question=STUB, kind="code")), ctx_for(tmp_path, fake))
    body = fake.requests[0].body
    assert body["messages"][-1] == {"role": "assistant", "content": "```python\n" + STUB}
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert "```" in body["stop"] and "\nprint(" in body["stop"]
    right, wrong = update["candidates"]
    assert right.answer == STUB + "    return a + b"
    result = await run_python(right.answer + "\nassert add(1, 2) == 3\n")
    assert result.ok and wrong.answer.endswith("return a - b")


async def test_a_reply_that_ignores_the_prefix_is_used_as_is(tmp_path: Path) -> None:
    whole = "```python\ndef add(a, b):\n    return a + b\n```"
    fake = FakeLLM()
    fake.on("Return a + b", texts=[whole, "def add(a, b):\n    return b + a\n"])
    update = await solve(RunState(task=Task(question=STUB, kind="code")), ctx_for(tmp_path, fake))
    assert [c.answer for c in update["candidates"]] == [
        "def add(a, b):\n    return a + b",
        "def add(a, b):\n    return b + a",
    ]


async def test_reply_prefix_off_and_prose_tasks_send_no_prefix(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("", texts=["```python\ndef f():\n    return 1\n```"])
    await solve(RunState(task=Task(question=STUB, kind="code")), ctx_for(tmp_path, fake, reply_prefix=False))
    await solve(RunState(task=Task(question="Write f.", kind="code")), ctx_for(tmp_path, fake))
    for request in fake.requests:
        assert request.body["messages"][-1]["role"] == "user" and "continue_final_message" not in request.body


async def test_refiner_continues_the_stub_too(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("A previous attempt", texts=["    return a + b"])
    old = Candidate(
        id="r0-solver-0", text="```python\n" + STUB + "    return a - b\n```", answer=STUB + "    return a - b"
    )
    state = RunState(task=Task(question=STUB, kind="code"), candidates=[old], round=1)
    update = await refine(state, ctx_for(tmp_path, fake))
    assert fake.requests[0].body["messages"][-1]["content"] == "```python\n" + STUB
    assert {c.answer for c in update["candidates"]} == {STUB + "    return a + b"}


async def test_math_replies_start_with_a_first_step(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("apples", texts=[" 3 bags of 4 is 12.\nAnswer: 12\nConfidence: 80%", "Step 1: 12\nAnswer: 12"])
    task = Task(question="Tom has 3 bags of 4 apples. How many apples?", kind="math")
    update = await solve(RunState(task=task), ctx_for(tmp_path, fake))
    body = fake.requests[0].body
    assert body["messages"][-1] == {"role": "assistant", "content": "Step 1:"} and "stop" not in body
    continued, whole = update["candidates"]
    assert continued.text.startswith("Step 1: 3 bags") and continued.answer == "12"
    assert whole.text == "Step 1: 12\nAnswer: 12"  # a reply that repeats the prefix is used as is
