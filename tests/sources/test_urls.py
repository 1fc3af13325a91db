"""gate.urls.url_origin: one definition of "the same origin" for credentials and pagination."""

from __future__ import annotations

from gate.urls import url_origin


def test_default_ports_and_case_make_no_difference() -> None:
    assert url_origin("https://API.github.com/x") == url_origin("https://api.github.com:443/y?page=2")
    assert url_origin("http://h/") == ("http", "h", 80)


def test_another_port_scheme_or_host_is_another_origin() -> None:
    base = url_origin("https://api.github.com/")
    assert url_origin("https://api.github.com:8443/") != base
    assert url_origin("http://api.github.com/") != base
    assert url_origin("https://api.github.com.evil/") != base


def test_an_invalid_port_matches_nothing_and_raises_nothing() -> None:
    odd = url_origin("https://api.github.com:99999/")
    assert odd[2] == -1
    assert odd != url_origin("https://api.github.com/")
