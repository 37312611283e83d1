"""One vocabulary for yes and no: settings, upload options and report flags read it alike."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from collateral.booleans import BOOL_WORDS, parse_bool
from collateral.config import load_settings
from collateral.services.reports import parse_report_params


@pytest.mark.parametrize("word", ["true", "1", "yes", "on", " TRUE ", "Yes", "ON"])
def test_yes_words(word):
    assert parse_bool(word, "flag") is True


@pytest.mark.parametrize("word", ["false", "0", "no", "off", "", "  ", None, "Off", "NO"])
def test_no_words_and_nothing(word):
    assert parse_bool(word, "flag") is False


@pytest.mark.parametrize("word", ["maybe", "2", "y", "truthy", "-1"])
def test_other_words_are_an_error_naming_the_field_and_the_words(word):
    with pytest.raises(ValueError) as error:
        parse_bool(word, "allow_duplicate")
    assert str(error.value) == (
        f"allow_duplicate: {word!r} is neither yes nor no; use true or false "
        "(1 or 0, yes or no, on or off)."
    )


def test_the_documented_words_are_the_accepted_ones():
    assert [parse_bool(word, "flag") for word in BOOL_WORDS] == [True] * 4 + [False] * 4


def test_a_boolean_setting_takes_the_same_words_and_refuses_others():
    assert (
        load_settings({"COLLATERAL_SESSION_COOKIE_SECURE": "off"})["SESSION_COOKIE_SECURE"] is False
    )
    assert (
        load_settings({"COLLATERAL_SESSION_COOKIE_SECURE": "on"})["SESSION_COOKIE_SECURE"] is True
    )
    with pytest.raises(ValueError, match="COLLATERAL_SESSION_COOKIE_SECURE: 'flase'"):
        load_settings({"COLLATERAL_SESSION_COOKIE_SECURE": "flase"})


def test_report_flags_take_yes_and_no_like_the_rest(app):
    with app.app_context():
        assert parse_report_params(MultiDict({"zero_results": "yes"})).zero_results is True
        assert parse_report_params(MultiDict({"unopened": "on"})).unopened is True
        assert parse_report_params(MultiDict({"unopened": "no"})).unopened is False
