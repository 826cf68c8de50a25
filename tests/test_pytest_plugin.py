"""The pytest plugin, loaded through its entry point in a separate pytest run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TEMPLATES = Path(__file__).parent / "data" / "templates"

USER_TESTS = '''
import pytest

def test_bus_fixture_and_recorder(event_bus, recorder):
    event_bus.put_rule("big", {"detail": {"total": [{"numeric": [">", 100]}]}})
    event_bus.put_targets("big", [{"Id": "t", "Fn": recorder}])
    event_bus.publish({"source": "shop", "detail-type": "Order", "detail": {"total": 150}})
    event_bus.publish({"source": "shop", "detail-type": "Order", "detail": {"total": 50}})
    assert len(recorder) == 1 and recorder.last["detail"]["total"] == 150

def test_scheduled_rule_on_the_virtual_clock(eventbridge, event_bus, virtual_clock, recorder):
    event_bus.put_rule("hourly", schedule_expression="rate(1 hour)")
    event_bus.put_targets("hourly", [{"Id": "t", "Fn": recorder}])
    start = virtual_clock.now()
    eventbridge.advance(3 * 3600)
    assert len(recorder) == 3 and recorder.last["detail-type"] == "Scheduled Event"
    assert (virtual_clock.now() - start).total_seconds() == 3 * 3600

def test_helpers_as_fixtures(assert_matches, assert_no_match):
    assert_matches({"source": ["aws.ec2"]}, {"source": "aws.ec2"})
    assert_no_match({"source": ["aws.ec2"]}, {"source": "aws.s3"})

def test_helpers_importable():
    from eventmatch.testing import assert_matches
    assert_matches({"a": [{"prefix": "x"}]}, {"a": "xy"})

def test_templates(load_template):
    t = load_template(TEMPLATE)
    assert [f.target.id for f in t.fire(EC2)] == ["alert", "audit"]

def test_a_failing_assertion_explains_itself(assert_matches):
    assert_matches({"source": ["aws.ec2"], "detail": {"state": ["terminated"]}},
                   {"source": "aws.ec2", "detail": {"state": "running"}})
'''


def test_plugin_fixtures_in_a_user_project(pytester: pytest.Pytester) -> None:
    header = (
        f"TEMPLATE = {str(TEMPLATES / 'cfn-ops.json')!r}\n"
        "EC2 = {'source': 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification',"
        " 'detail': {'instance-id': 'i-1', 'state': 'terminated'}}\n"
    )
    pytester.makepyfile(test_user=header + USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines([
        "*AssertionError: the event does not match the pattern:",
        "*no match",
        '*detail.state: not met: "running" meets none of "terminated"',
    ])


def test_plugin_is_registered_by_entry_point() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "eventmatch"]
    assert ep.value == "eventmatch.pytest_plugin"


def test_load_template_reads_relative_paths_from_the_test_files_folder(pytester: pytest.Pytester) -> None:
    sub = pytester.mkdir("project")
    (sub / "template.yaml").write_text((TEMPLATES / "sam-orders.yaml").read_text())
    (sub / "test_rel.py").write_text(
        "def test_relative(load_template):\n"
        "    assert load_template('template.yaml').rules\n"
        "def test_fails_in_the_users_frame(assert_no_match):\n"
        "    assert_no_match({'source': ['a']}, {'source': 'a'})\n"
    )
    # run from another folder: the path is the test file's, not the working directory's
    result = pytester.runpytest_subprocess(str(sub), "-p", "no:cacheprovider", "-p", "no:benchmark",
                                           "--rootdir", str(pytester.path))
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "test_rel.py:4: AssertionError" in text
    assert "eventmatch/testing.py" not in text  # __tracebackhide__: no frames from inside the plugin


def test_every_fixture_has_a_docstring(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:benchmark")
    text = result.stdout.str()
    for name in ("eventbridge", "event_bus", "virtual_clock", "recorder", "load_template", "assert_matches",
                 "assert_no_match"):
        block = text.split(f"\n{name} ", 1)
        assert len(block) == 2, name
        assert "no docstring available" not in block[1].split("\n\n", 1)[0], name


def test_assert_lints_clean_passes_a_correct_template_and_lists_a_broken_ones_findings(
        pytester: pytest.Pytester) -> None:
    good = (TEMPLATES / "sam-orders.yaml").read_text()
    broken = (TEMPLATES / "cfn-ops.json").read_text().replace('"detail": {"state"', '"detail": {"State"')
    assert broken != (TEMPLATES / "cfn-ops.json").read_text()
    pytester.makefile(".yaml", good=good)
    pytester.makefile(".json", broken=broken)
    pytester.makepyfile(test_lint=(
        "def test_good(assert_lints_clean):\n"
        "    assert_lints_clean('good.yaml')\n"
        "def test_broken(assert_lints_clean):\n"
        "    assert_lints_clean('broken.json')\n"
        "def test_broken_ignored():\n"
        "    from eventmatch.testing import assert_lints_clean\n"
        "    import pathlib\n"
        "    assert_lints_clean(pathlib.Path(__file__).with_name('broken.json'), ignore=('EM103',))\n"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*broken.json: 1 lint finding:", "*EM103 error*detail.State*'state' is*"])
