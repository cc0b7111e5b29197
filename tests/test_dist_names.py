"""Distribution file names: one file, however PEP 427/625 allow it to be spelt; another file
for any other version, project, platform tag, build or sdist format."""

from __future__ import annotations

import pytest

from provenance.evidence.dist_names import NotADistributionName, parse_distribution_name


@pytest.mark.parametrize(
    ("signed", "delivered"),
    [
        ("pypi_attestations-0.0.19.tar.gz", "pypi-attestations-0.0.19.tar.gz"),
        ("Foo.Bar-1.0.tar.gz", "foo_bar-1.0.tar.gz"),
        ("foo-1.0a1.tar.gz", "foo-1.0.a1.tar.gz"),
        ("foo-1.0-py2.py3-none-any.whl", "foo-1.0-py3.py2-none-any.whl"),
        ("foo-1.0-py2.py3-none-any.whl", "Foo-1.0-py2.py3-none-any.whl"),
        (
            "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        ),
    ],
)
def test_spellings_of_one_file_are_equal(signed: str, delivered: str) -> None:
    assert parse_distribution_name(signed) == parse_distribution_name(delivered)


@pytest.mark.parametrize(
    ("signed", "delivered"),
    [
        ("foo-1.0.tar.gz", "foo-1.1.tar.gz"),  # another version
        ("foo-1.0.tar.gz", "foo-1.0.0.tar.gz"),  # equal under PEP 440 ordering, not as a name
        ("foo-1.0.tar.gz", "bar-1.0.tar.gz"),  # another project
        ("foo-1.0.tar.gz", "foo-1.0.zip"),  # another sdist format
        ("foo-1.0-py3-none-any.whl", "foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        ("foo-1.0-py3-none-any.whl", "foo-1.0-1-py3-none-any.whl"),  # a build tag
        ("foo-1.0-py2.py3-none-any.whl", "foo-1.0-py3-none-any.whl"),  # fewer tags
        ("foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"),  # a wheel is not the sdist
    ],
)
def test_another_name_is_another_file(signed: str, delivered: str) -> None:
    assert parse_distribution_name(signed) != parse_distribution_name(delivered)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("foo-1.0.exe", "expected a wheel (.whl) or an sdist"),
        ("foo.tar.gz", "not a valid distribution file name"),
        ("foo-notaversion.tar.gz", "not a valid distribution file name"),
        ("foo-1.0-py3-none.whl", "not a valid distribution file name"),
        ("../foo-1.0.tar.gz", "is not a distribution file name"),
        ("foo-1.0.WHL", "expected a wheel"),
        ("x" * 300 + "-1.0.tar.gz", "is not a distribution file name"),
    ],
)
def test_what_is_not_a_distribution_name_says_why(name: str, fragment: str) -> None:
    with pytest.raises(NotADistributionName) as refused:
        parse_distribution_name(name)
    assert fragment in str(refused.value)
    assert refused.value.check == "subject"


def test_description_names_the_normalised_parts() -> None:
    wheel = parse_distribution_name("Foo_Bar-1.0-2-py3.py2-none-any.whl")
    assert wheel.describe() == "wheel foo-bar 1.0 build 2 [py2-none-any, py3-none-any]"
    assert parse_distribution_name("foo-1.0.zip").describe() == "sdist foo 1.0 (.zip)"
