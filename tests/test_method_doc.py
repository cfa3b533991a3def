"""docs/method.md is generated from the rubric YAML, so it cannot drift from the code."""

from pipeline.method_doc import main, render_method, threshold_comments


def test_method_doc_is_up_to_date() -> None:
    assert main(["--check"]) == 0, "run: python -m pipeline.method_doc"


def test_every_threshold_is_in_the_doc_with_its_value() -> None:
    from pipeline.score import load_rubric

    text = render_method()
    for key, value in load_rubric().thresholds.model_dump().items():
        assert f"| `{key}` | {value} |" in text


def test_comments_are_paired_with_their_keys() -> None:
    yaml_text = "thresholds:\n  # how sure\n  a: 1\n  # --- group\n  b: 2\nother: 3\n"
    assert threshold_comments(yaml_text) == {"a": "how sure", "b": ""}
