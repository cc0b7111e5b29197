"""Version ordering per ecosystem, and "cannot compare" as an outcome."""

from __future__ import annotations

import random
import re

import pytest

from provenance.vulnerabilities.packages import package_from_purl, package_key
from provenance.vulnerabilities.versions import UncomparableVersion, semver_key, version_key


@pytest.mark.parametrize(
    "ordered",
    [
        # SemVer 2.0 spec, item 11.
        [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ],
        ["0.0.0-0", "0.0.0", "0.9.9", "1.9.0", "1.10.0", "1.11.0", "2.0.0"],
    ],
)
def test_semver_precedence(ordered: list[str]) -> None:
    keys = [semver_key(text) for text in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_semver_ignores_build_metadata() -> None:
    assert semver_key("1.0.0+build.5") == semver_key("1.0.0")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.0", "expected a SemVer 2.0 version such as 1.2.3, got '1.0'"),
        ("01.0.0", "expected a SemVer 2.0 version such as 1.2.3, got '01.0.0'"),
        ("1.0.0-01", "expected SemVer pre-release numbers without leading zeros, got '1.0.0-01'"),
    ],
)
def test_semver_refuses(text: str, reason: str) -> None:
    with pytest.raises(UncomparableVersion) as raised:
        semver_key(text)
    assert str(raised.value) == reason


def test_go_versions_v_prefix_incompatible_and_pseudo_versions() -> None:
    assert version_key("Go", "v1.6.0") == version_key("Go", "1.6.0")
    assert version_key("Go", "v2.0.0+incompatible") == version_key("Go", "2.0.0")
    pseudo = version_key("Go", "v1.3.1-0.20190301021747-ccb9e902956d")
    assert version_key("Go", "1.3.0") < pseudo < version_key("Go", "1.3.1")


def test_pypi_pep440_and_invalid_versions() -> None:
    assert version_key("PyPI", "0.0.0.dev3") < version_key("PyPI", "0.0.1")
    assert version_key("PyPI", "1.0.beta") == version_key("PyPI", "1.0b0")
    with pytest.raises(UncomparableVersion) as raised:
        version_key("PyPI", "0.1-bulbasaur")
    assert str(raised.value) == "expected a PEP 440 version, got '0.1-bulbasaur'"


def test_maven_and_debian_ordering() -> None:
    assert version_key("Maven", "2.14.1") < version_key("Maven", "2.15.0")
    assert version_key("Maven", "2.15.0-rc1") < version_key("Maven", "2.15.0")
    assert version_key("Debian", "1.1.1n-0+deb11u3") < version_key("Debian", "1.1.1n-0+deb11u4")
    assert version_key("Debian", "1:0.9") > version_key("Debian", "2.0")  # epoch


def test_unknown_ecosystem_cannot_compare() -> None:
    with pytest.raises(UncomparableVersion) as raised:
        version_key("RubyGems", "1.0.0")
    assert str(raised.value) == "no version ordering for ecosystem 'RubyGems'"


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:pypi/Jw_Util@1.0", ("PyPI", "jw-util", "1.0")),
        ("pkg:pypi/zope.interface@5.0", ("PyPI", "zope-interface", "5.0")),
        (
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
            ("Go", "github.com/gin-gonic/gin", "v1.6.0"),
        ),
        ("pkg:golang/github.com/foo/bar/v2@v2.1.0", ("Go", "github.com/foo/bar/v2", "v2.1.0")),
        ("pkg:golang/stdlib@1.20.1", ("Go", "stdlib", "1.20.1")),
        ("pkg:cargo/smallvec@1.6.0", ("crates.io", "smallvec", "1.6.0")),
        ("pkg:npm/%40babel/core@7.0.0", ("npm", "@babel/core", "7.0.0")),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
        ),
        (
            "pkg:deb/debian/openssl@1.1.1n-0+deb11u3?distro=debian-11",
            ("Debian", "openssl", "1.1.1n-0+deb11u3"),
        ),
    ],
)
def test_purl_to_ecosystem_and_key(purl: str, expected: tuple[str, str, str]) -> None:
    package = package_from_purl(purl)
    assert package is not None
    assert (package.ecosystem, package.key, package.version) == expected


def test_purls_without_an_ecosystem() -> None:
    assert package_from_purl("pkg:generic/acme/fw@1") is None
    assert package_from_purl("pkg:maven/log4j-core@2") is None  # no group
    assert package_from_purl("not a purl") is None


def test_record_names_normalise_like_purls() -> None:
    assert package_key("PyPI", "jw.util") == package_key("PyPI", "JW_Util") == "jw-util"
    assert package_key("Go", "github.com/Masterminds/vcs") == "github.com/Masterminds/vcs"


def test_pypi_names_fold_every_run_of_separators_as_pep_503_says() -> None:
    rng = random.Random("pep503")
    for _ in range(3000):
        name = "".join(rng.choice("aZ9-_.") for _ in range(rng.randint(1, 8)))
        assert package_key("PyPI", name) == re.sub(r"[-_.]+", "-", name).lower(), name
