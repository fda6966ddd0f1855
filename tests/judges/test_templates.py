import pytest

from alpaca_bench.errors import InputError
from alpaca_bench.judges import builtin_templates, load_template
from alpaca_bench.judges._templates import JudgeTemplate

VALUES = {"instruction": "Do X", "input": "", "output_a": "A out", "output_b": "B out", "reference": "ref"}


def test_builtin_templates_exist_and_validate():
    assert builtin_templates() == [
        "pairwise",
        "pairwise-5pt",
        "pairwise-conversation",
        "pairwise-cot",
        "pairwise-last-turn",
        "reference-guided",
        "single-10",
    ]
    for name in builtin_templates():
        template = load_template(name)
        if template.kind == "grade":
            continue  # shows one answer: test_conversation_templates
        messages = template.render(VALUES)
        assert "A out" in messages[-1]["content"] and "B out" in messages[-1]["content"]
    assert load_template("reference-guided").needs_reference
    assert not load_template("pairwise").needs_reference


def test_outputs_are_inserted_verbatim():
    hostile = "  <script>alert(1)</script> {{ reference }} {% if x %}&amp;\n\n  "
    values = {**VALUES, "output_a": hostile}
    template = load_template("pairwise")
    content = template.render(values)[-1]["content"]
    mark = template.boundary(values)  # the fence id; only the template's own tag names are escaped
    assert f'<response_A id="{mark}">\n{hostile}\n</response_A id="{mark}">' in content


@pytest.mark.parametrize(
    "name, text, logprobs, expected",
    [
        ("pairwise", "A", None, ("A>B", 0.0)),
        ("pairwise", "B", None, ("B>A", 1.0)),
        ("pairwise", "Both", None, None),
        ("pairwise", "A", {"A": -1.3862943611198906, " B": -0.2876820724517809}, ("B>A", 0.75)),
        ("pairwise-cot", "Verdict: A is weak.\nVerdict: tie", None, ("tie", 0.5)),
        ("pairwise-cot", "**Verdict:** B", None, ("B>A", 1.0)),
        ("pairwise-cot", "I cannot decide.", None, None),
        ("pairwise-5pt", "reasoning\n[[B>>A]]", None, ("B>>A", 1.0)),
        ("pairwise-5pt", "[[A=B]]", None, ("tie", 0.5)),
        ("reference-guided", "verdict: a", None, ("A>B", 0.0)),
    ],
)
def test_parsers(name, text, logprobs, expected):
    result = load_template(name).parse(text, logprobs)
    if expected is None:
        assert result is None
    else:
        assert result[0] == expected[0] and result[1] == pytest.approx(expected[1])


def _template(**overrides):
    data = {
        "name": "t",
        "user": "{{ instruction }} {{ output_a }} {{ output_b }}",
        "parser": {"type": "regex", "pattern": "(A|B)", "verdicts": {"A": "A>B", "B": "B>A"}},
    }
    data.update(overrides)
    return JudgeTemplate.model_validate(data)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"user": "{{ model_name }} {{ output_a }}"}, "unknown variable"),
        ({"parser": {"type": "regex", "pattern": "(A|B", "verdicts": {"A": "A>B"}}}, "invalid regex"),
        (
            {"parser": {"type": "regex", "pattern": "A|B", "verdicts": {"A": "A>B"}}},
            "exactly one capture group",
        ),
        ({"parser": {"type": "regex", "pattern": "(A)", "verdicts": {"A": "A wins"}}}, "verdicts must map"),
        ({"parser": {"type": "logprobs", "a_token": ""}}, "at least 1 character"),
        ({"user": "{% if %}"}, "syntax error"),
    ],
)
def test_invalid_templates_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        _template(**overrides)


def test_missing_parser_and_unknown_name(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nuser: '{{ output_a }}'\n")
    with pytest.raises(InputError, match=r"t\.yaml: invalid judge template: parser"):
        load_template(str(path))
    with pytest.raises(InputError, match="unknown judge template"):
        load_template("no-such-template")
