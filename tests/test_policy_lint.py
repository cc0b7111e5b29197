"""`lint_policy`: every problem in a policy file, errors and warnings, in file order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from provenance.errors import PolicyError
from provenance.policy import LintProblem, lint_policy, load_policy
from provenance.policy._loader import MAX_POLICY_BYTES
from provenance.policy.requirements import requirement_kinds
from provenance.verification.signers import load_public_key
from tests.test_policy import MINIMAL, SCHEMA_CASES, YAML_CASES
from tests.test_policy_segments import CASES, KEY_NAMES, SITE

DATA = Path(__file__).parent / "data" / "policy" / "lint"

# Every requirement kind, as an unknown-key message lists them.
KINDS = ", ".join(sorted(requirement_kinds()))


@pytest.fixture
def keys(tmp_path: Path) -> None:
    """Public keys at keys/NAME.pub for the policies of test_policy_segments."""
    (tmp_path / "keys").mkdir()
    for name in KEY_NAMES:
        key = ed25519.Ed25519PrivateKey.generate().public_key()
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (tmp_path / "keys" / f"{name}.pub").write_bytes(pem)


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "site.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _lines(problems: list[LintProblem]) -> list[str]:
    return [str(problem) for problem in problems]


def test_a_clean_policy_has_no_problems(tmp_path: Path, keys: None) -> None:
    assert lint_policy(_write(tmp_path, SITE)) == []
    assert lint_policy(_write(tmp_path, MINIMAL.replace(SHORTHAND, BY_NAME))) == []


# The single-product shorthand of MINIMAL, and the same product declared by name.
SHORTHAND = "[pkg:generic/acme/fw]"
BY_NAME = "{fw: {purl: pkg:generic/acme/fw, files: [fw-*.bin]}}"


def test_the_single_product_shorthand_still_loads_but_is_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL)

    assert [p.purl for p in load_policy(path).vendors["acme"].products] == ["pkg:generic/acme/fw"]
    assert _lines(lint_policy(path)) == [
        f"{path}:6:15: warning: vendors.acme.products: every file acme signs is taken for "
        "pkg:generic/acme/fw: declare the product by name with files globs, so another file of "
        "this vendor is never judged as this product"
    ]


def test_several_products_as_package_urls_are_a_warning(tmp_path: Path) -> None:
    text = MINIMAL.replace(SHORTHAND, "[pkg:generic/acme/fw, pkg:generic/acme/tool]")

    assert _lines(lint_policy(_write(tmp_path, text)))[0].endswith(
        "warning: vendors.acme.products: 2 products given as package URLs only: a file is "
        "recognised as one of them only by a signed SBOM naming its purl; declare each by name "
        "with files globs"
    )


@pytest.mark.parametrize(
    ("products", "problem"),
    [
        (
            "{fw: {purl: pkg:generic/acme/fw}, fw2: {purl: pkg:generic/acme/fw}}",
            "6:49: error: vendors.acme.products.fw2: product package URL 'pkg:generic/acme/fw' "
            "is declared twice: declare each product once",
        ),
        (
            "[pkg:generic/acme/fw, pkg:generic/other/fw]",
            "6:37: error: vendors.acme.products[1]: product name 'fw' is declared twice: declare "
            "each product once",
        ),
    ],
)
def test_a_product_is_declared_once(tmp_path: Path, products: str, problem: str) -> None:
    path = _write(tmp_path, MINIMAL.replace(SHORTHAND, products))

    assert any(line.startswith(f"{path}:{problem}") for line in _lines(lint_policy(path)))


def test_a_product_has_one_vendor(tmp_path: Path) -> None:
    # An integrator that co-signs the vendor's firmware must not also declare it: its tag
    # would then say which version the vendor's file is.
    text = MINIMAL.replace(SHORTHAND, BY_NAME) + (
        "  integrator:\n"
        "    signers:\n"
        '      - sigstore: {identity: "i@integrator.example", issuer: "https://issuer.example"}\n'
        "    products: {fw: {purl: pkg:generic/acme/fw}}\n"
    )
    path = _write(tmp_path, text)

    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value) == (
        f"{path}:10:16: vendors.integrator.products.fw: product name 'fw' is also declared by "
        "vendor 'acme': a product has one vendor, whose signers alone say which version a file "
        "of it is (a co-signer such as an integrator needs no products entry)"
    )


def test_problem_prints_as_path_line_column_severity_message() -> None:
    problem = LintProblem("site.yaml", 12, 7, "warning", "groups.x: declared but never required")

    assert str(problem) == "site.yaml:12:7: warning: groups.x: declared but never required"


def test_every_problem_is_reported_in_file_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    alice = load_public_key(Path("keys/alice.pub")).key_id

    problems = lint_policy(Path("everything-wrong.yaml"))

    p = "everything-wrong.yaml"
    sig = "vendors.acme-automation.signers"
    dmz = "segments.enterprise-dmz.require"
    l3 = "segments.level3-operations.require"
    l2 = "segments.level2-supervisory.require"
    unreachable = "so no artifact could ever enter this segment"
    whole = "(an entry of its own replaces the inherited one whole)"
    assert _lines(problems) == [
        # identity and issuer patterns that match more than meant
        f"{p}:7:36: warning: {sig}[0].sigstore.identity_regex: unescaped '.' in 'github.com' "
        "matches any character (so 'githubXcom' matches too); write '\\.' for a literal dot",
        f"{p}:7:80: warning: {sig}[0].sigstore.issuer_regex: expected a regular expression "
        "naming a specific issuer, got '.*', which matches any issuer",
        f"{p}:8:14: error: {sig}[1].key: keys/missing.pub: cannot read key: "
        "No such file or directory",
        f"{p}:9:15: warning: vendors.acme-automation.products: every file acme-automation signs "
        "is taken for pkg:generic/acme/plc-firmware: declare the product by name with files "
        "globs, so another file of this vendor is never judged as this product",
        f"{p}:12:36: warning: vendors.beta-controls.signers[0].sigstore.identity_regex: '^' and "
        "'$' are redundant: a regular expression always matches the whole value",
        f"{p}:14:3: warning: vendors.gamma-systems: declared but never required: no segment's "
        "signed_by names it, so a signature by this vendor admits nothing",
        f"{p}:16:36: warning: vendors.gamma-systems.signers[0].sigstore.identity_regex: "
        "expected a regular expression that needs some text, got '(ops@gamma\\\\.example)?', "
        "which matches the empty string",
        f"{p}:18:5: error: vendors.gamma-systems: unknown key 'owner' "
        "(expected one of: in_toto, products, signers)",
        # groups
        f"{p}:23:12: error: groups.ot-security.members.bob: expected a key of its own, got the "
        f"key of alice ({alice}); two approvals must be two people",
        f"{p}:24:3: warning: groups.night-shift: declared but never required: no segment's "
        "approvals names it",
        # segments: references, counts, values
        f"{p}:29:51: error: {dmz}.signed_by[2]: unknown vendor 'delta' "
        "(expected one of: acme-automation, beta-controls, gamma-systems)",
        f"{p}:30:49: error: {dmz}.freshness.not_before: expected a date YYYY-MM-DD, got "
        "'2025-02-30' (day is out of range for month)",
        f"{p}:31:16: warning: {dmz}.version: expected a specifier some version matches, got "
        f"'>=5,<4', which none does, {unreachable}",
        f"{p}:35:69: error: {l3}.signed_by.count: expected at most 2 (the vendors listed), "
        f"got 3, {unreachable}",
        # a segment weaker than the one it extends
        f"{p}:36:18: warning: {l3}.freshness: weaker than the freshness inherited from "
        f"enterprise-dmz: expected not_before '2025-02-30' or later, got none {whole}",
        f"{p}:36:33: warning: {l3}.freshness.max_age_days: weaker than the freshness inherited "
        "from enterprise-dmz: expected at most 30, got 365",
        f"{p}:37:16: error: {l3}.version: expected a PEP 440 version specifier set such as "
        "'>=4.0,<5', got '=>4' (Invalid specifier: '=>4')",
        f"{p}:38:26: error: {l3}.approvals.count: expected at most 2 (the members of "
        f"ot-security), got 3, {unreachable}",
        f"{p}:42:18: warning: {l2}.signed_by: weaker than the signed_by inherited from "
        "level3-operations: expected signatures by at least 3 distinct vendors, got 1",
        f"{p}:43:26: warning: {l2}.approvals.count: weaker than the approvals inherited from "
        "level3-operations: expected at least 3 approvals, got 1",
        f"{p}:44:17: error: {l2}.rollback: expected \"deny\", got string 'allow'",
        # extends
        f"{p}:46:14: error: segments.level1-controllers.extends: unknown segment 'level0' "
        "(expected one of: cell-a, cell-b, enterprise-dmz, level1-controllers, "
        "level2-supervisory, level3-operations)",
        f"{p}:49:36: error: segments.level1-controllers.require.approvals.group: unknown group "
        "'ot-ops' (expected one of: night-shift, ot-security)",
        f"{p}:54:14: error: segments.cell-b.extends: expected a chain of extends that ends, got "
        "a cycle: cell-a -> cell-b -> cell-a",
        f"{p}:55:15: error: segments.cell-b.require: unknown key 'virus_scan' "
        f"(expected one of: {KINDS})",
    ]
    assert {problem.severity for problem in problems} == {"error", "warning"}


def test_load_policy_raises_what_lint_reports() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(DATA / "everything-wrong.yaml")

    # The first schema problem: the schema is checked before anything else.
    assert info.value.line == 18
    assert (18, info.value.column, "error") in {
        (p.line, p.column, p.severity) for p in lint_policy(DATA / "everything-wrong.yaml")
    }


@pytest.mark.parametrize(
    "text",
    [case[1] for case in SCHEMA_CASES + CASES],
    ids=[case[0] for case in SCHEMA_CASES + CASES],
)
def test_every_error_load_policy_raises_is_a_lint_error(
    tmp_path: Path, keys: None, text: str
) -> None:
    path = _write(tmp_path, textwrap.dedent(text))
    with pytest.raises(PolicyError) as info:
        load_policy(path)

    errors = [p for p in lint_policy(path) if p.severity == "error"]

    assert str(info.value) in [f"{p.path}:{p.line}:{p.column}: {p.message}" for p in errors]


@pytest.mark.parametrize(
    "case", [case for case in YAML_CASES if case[2:4] != (1, 1) or case[1]], ids=str
)
def test_a_yaml_or_version_problem_is_the_only_problem(
    tmp_path: Path, case: tuple[str, str | bytes, int, int, str]
) -> None:
    _, text, line, column, message = case
    path = _write(tmp_path, text)

    assert _lines(lint_policy(path)) == [f"{path}:{line}:{column}: error: {message}"]


def test_an_unreadable_file_is_not_linted_but_raised(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        lint_policy(tmp_path / "absent.yaml")
    assert (
        str(info.value)
        == f"{tmp_path / 'absent.yaml'}: cannot read file: No such file or directory"
    )

    big = _write(tmp_path, "#" * (MAX_POLICY_BYTES + 1))
    with pytest.raises(PolicyError):
        lint_policy(big)


def test_schema_and_semantic_problems_are_all_reported(tmp_path: Path, keys: None) -> None:
    # Three schema problems and two semantic ones: all five, each once; and one warning.
    text = (
        SITE.replace("rollback: deny", "rollback: allow")
        .replace("{max_age_days: 365}", "{max_age_days: 0}")
        .replace("keys/bob.pub", "keys/robert.pub")
        .replace("group: ot-security}", "group: ot-ops}")
        .replace("  vsa_key:", "  vsa: x\n  vsa_key:")
    )
    path = _write(tmp_path, text)

    assert [(p.line, p.severity, p.message.split(":")[0]) for p in lint_policy(path)] == [
        (12, "warning", "groups.ot-security"),  # approvals names ot-ops instead
        (15, "error", "groups.ot-security.members.bob"),
        (17, "error", "site"),
        (23, "error", "segments.level3.require.freshness.max_age_days"),
        (29, "error", "segments.level2.require.rollback"),
        (34, "error", "segments.level1.require.approvals.group"),
    ]


def test_a_semantic_error_where_the_schema_failed_is_not_repeated(
    tmp_path: Path, keys: None
) -> None:
    # 'Ops' is not a group name (schema) and not a group (semantic): one error.
    path = _write(tmp_path, SITE.replace("group: ot-security}", "group: Ops}"))

    assert _lines(lint_policy(path)) == [
        f"{path}:12:3: warning: groups.ot-security: declared but never required: no segment's "
        "approvals names it",
        f"{path}:33:36: error: segments.level1.require.approvals.group: expected a lowercase "
        "name: letters a-z, digits and single hyphens, such as acme-automation, got string 'Ops'",
    ]


def test_lint_survives_values_of_the_wrong_shape(tmp_path: Path) -> None:
    # Nothing here has the shape the semantic checks expect; they skip it, the schema reports.
    text = textwrap.dedent(
        """\
        version: 1
        vendors: [acme]
        groups: {ops: [alice]}
        site: {vsa_key: 5}
        trust: {sigstore: embedded:production}
        segments:
          a: {extends: 5, require: [signed_by]}
          b: {require: {signed_by: {vendors: acme, count: x}, approvals: [1], freshness: 7}}
          c: {require: {version: 5, signed_by: [1]}}
        """
    )
    problems = lint_policy(_write(tmp_path, text))

    assert [p.message for p in problems if p.severity == "warning"] == [
        "groups.ops: declared but never required: no segment's approvals names it"
    ]
    assert [(p.line, p.message.split(":")[0]) for p in problems if p.severity == "error"] == [
        (2, "vendors"),
        (3, "groups.ops"),
        (4, "site.vsa_key"),
        (5, "trust.sigstore"),
        (7, "segments.a.extends"),
        (7, "segments.a.require"),
        (8, "segments.b.require.signed_by.vendors"),
        (8, "segments.b.require.signed_by.count"),
        (8, "segments.b.require.approvals"),
        (8, "segments.b.require.freshness"),
        (9, "segments.c.require.version"),
        (9, "segments.c.require.signed_by[0]"),
    ]


# --- warnings ----------------------------------------------------------------------------------

REGEX_POLICY = """\
version: 1
vendors:
  acme:
    signers:
      - sigstore: {identity_regex: 'REGEX', issuer: "https://issuer.example"}
    products: {fw: {purl: pkg:generic/acme/fw, files: [fw-*.bin]}}
"""

WHOLE = "'^' and '$' are redundant: a regular expression always matches the whole value"


@pytest.mark.parametrize(
    ("regex", "warnings"),
    [
        (r"https://github\.com/acme/[^/]+/\.github/workflows/release\.yml@refs/tags/v.+", []),
        (r"[a-z]+@acme\.example", []),
        (r"ops@acme[.]example", []),
        (r"v\d.\d", []),  # not between word characters: a matter for review, not for lint
        (r"ops\\.example", []),  # an escaped backslash, then an escaped dot
        (
            "https://github.com/acme/.+",
            [
                "unescaped '.' in 'github.com' matches any character (so 'githubXcom' matches "
                "too); write '\\.' for a literal dot"
            ],
        ),
        (
            "ops@acme.example.com",
            [
                "unescaped '.' in 'acme.example', 'example.com' matches any character (so "
                "'acmeXexample' matches too); write '\\.' for a literal dot"
            ],
        ),
        (
            ".*",
            [
                "expected a regular expression naming a specific identity, got '.*', which "
                "matches any identity"
            ],
        ),
        (
            "(?s).+",
            [
                "expected a regular expression naming a specific identity, got '(?s).+', which "
                "matches any identity"
            ],
        ),
        (
            "x*",
            [
                "expected a regular expression that needs some text, got 'x*', which matches "
                "the empty string"
            ],
        ),
        (r"^ops@acme\.example", [WHOLE]),
        (r"ops@acme\.example$", [WHOLE]),
        (r"ops@acme\.example\$", []),  # a literal dollar sign
        (r"ops@acme\.example\\$", [WHOLE]),  # a literal backslash, then the anchor
        (
            "^.*$",
            [
                WHOLE,  # at the same position, in the order of the messages
                "expected a regular expression naming a specific identity, got '^.*$', which "
                "matches any identity",
            ],
        ),
    ],
)
def test_regex_that_is_not_anchored_safe_is_a_warning(
    tmp_path: Path, regex: str, warnings: list[str]
) -> None:
    path = _write(tmp_path, REGEX_POLICY.replace("REGEX", regex))

    problems = lint_policy(path)

    assert [p.severity for p in problems] == ["warning"] * len(warnings)
    assert [(p.line, p.column) for p in problems] == [(5, 36)] * len(warnings)
    assert [p.message for p in problems] == [
        f"vendors.acme.signers[0].sigstore.identity_regex: {w}" for w in warnings
    ]
    load_policy(path)  # warnings never stop a policy from loading


def test_issuer_regex_is_checked_too(tmp_path: Path) -> None:
    text = REGEX_POLICY.replace(
        "identity_regex: 'REGEX', issuer: \"https://issuer.example\"",
        "identity: ops@acme.example, issuer_regex: 'https://login.acme.example/.+'",
    )
    path = _write(tmp_path, text)

    assert _lines(lint_policy(path)) == [
        f"{path}:5:62: warning: vendors.acme.signers[0].sigstore.issuer_regex: unescaped '.' in "
        "'login.acme', 'acme.example' matches any character (so 'loginXacme' matches too); "
        "write '\\.' for a literal dot"
    ]


def test_globs_are_literal_apart_from_stars(tmp_path: Path) -> None:
    # A glob's dot is a dot: nothing to warn about.
    text = REGEX_POLICY.replace("identity_regex: 'REGEX'", "identity: 'https://github.com/a/*'")

    assert lint_policy(_write(tmp_path, text)) == []


def test_weakening_warnings_only_in_clear_cases(tmp_path: Path, keys: None) -> None:
    # Stricter or different is not weaker: more approvals, a shorter age, a later date, a
    # different group, another version range.
    text = SITE.replace(
        '{max_age_days: 90, not_before: "2025-01-01"}',
        '{max_age_days: 30, not_before: "2026-01-01"}',
    ) + textwrap.indent(
        textwrap.dedent(
            """\
            level0:
              extends: level1
              require:
                approvals: {count: 1, group: night-shift}
                version: ">=1"
            """
        ),
        "  ",
    )
    text = text.replace("groups:\n", "groups:\n  night-shift: {members: {carol: keys/carol.pub}}\n")
    path = _write(tmp_path, text)

    assert _lines(lint_policy(path)) == [
        f"{path}:38:26: warning: segments.level0.require.approvals.count: weaker than the "
        "approvals inherited from level1: expected at least 2 approvals, got 1"
    ]


def test_weaker_than_a_grandparent_through_an_intermediate_segment(
    tmp_path: Path, keys: None
) -> None:
    text = (
        SITE
        + "  level0:\n    extends: level1\n    require:\n      freshness: {max_age_days: 400}\n"
    )
    path = _write(tmp_path, text)

    assert _lines(lint_policy(path)) == [
        f"{path}:37:18: warning: segments.level0.require.freshness: weaker than the freshness "
        "inherited from level1: expected not_before '2025-01-01' or later, got none (an entry "
        "of its own replaces the inherited one whole)",
        f"{path}:37:33: warning: segments.level0.require.freshness.max_age_days: weaker than "
        "the freshness inherited from level1: expected at most 90, got 400",
    ]


def test_a_vendor_no_segment_requires(tmp_path: Path, keys: None) -> None:
    text = SITE.replace("signed_by: [acme, beta]", "signed_by: [acme]").replace(
        "{vendors: [acme, beta], count: 2}", "[acme]"
    )
    path = _write(tmp_path, text)

    assert _lines(lint_policy(path)) == [
        f"{path}:7:3: warning: vendors.beta: declared but never required: no segment's "
        "signed_by names it, so a signature by this vendor admits nothing"
    ]


def test_a_vendor_is_used_where_a_segment_has_no_signed_by(tmp_path: Path, keys: None) -> None:
    # Without signed_by, a signature by any vendor of the policy counts.
    text = (
        SITE.replace("signed_by: [acme, beta]", "signed_by: [acme]").replace(
            "{vendors: [acme, beta], count: 2}", "[acme]"
        )
        + "  dmz:\n    require: {rollback: deny}\n"
    )

    assert lint_policy(_write(tmp_path, text)) == []


def test_vendors_of_a_policy_without_segments_are_not_flagged(tmp_path: Path) -> None:
    # A policy for `provenance verify --policy` only.
    minimal = MINIMAL.replace(SHORTHAND, BY_NAME)
    beta = minimal[minimal.index("  acme:") :].replace("acme", "beta").replace("fw", "beta-fw")
    text = minimal + beta

    assert lint_policy(_write(tmp_path, text)) == []


def test_a_product_of_a_ci_signed_vendor_without_source_is_a_warning(tmp_path: Path) -> None:
    text = (
        "version: 1\nvendors:\n  acme:\n    signers:\n"
        '      - sigstore: {identity: "https://github.com/acme/*/.github/workflows/r.yml'
        '@refs/tags/v*", issuer: "https://issuer.example"}\n'
        "    products:\n"
        "      fw: {purl: pkg:generic/acme/fw, source: 'https://github.com/acme/fw'}\n"
        "      tool: {purl: pkg:generic/acme/tool}\n"
    )
    path = _write(tmp_path, text)
    assert _lines(lint_policy(path)) == [
        f"{path}:8:7: warning: vendors.acme.products.tool: no source: a release tag of acme's "
        "signing identities never versions tool (give the repository it is built from)"
    ]


def test_weakening_is_judged_beside_a_schema_problem_in_the_same_entry(
    tmp_path: Path, keys: None
) -> None:
    # A setting the schema refuses is not compared; the entry's other settings still are.
    text = SITE.replace(
        "      freshness: {max_age_days: 365}\n",
        '      freshness: {max_age_days: 365, not_before: "2025-01-01"}\n',
    ).replace(
        '      freshness: {max_age_days: 90, not_before: "2025-01-01"}\n',
        '      freshness: {max_age_days: "90", not_before: "2024-01-01"}\n',
    )
    path = _write(tmp_path, text)

    assert _lines(lint_policy(path)) == [
        f"{path}:32:33: error: segments.level1.require.freshness.max_age_days: expected an "
        "integer, got string '90'",
        f"{path}:32:51: warning: segments.level1.require.freshness.not_before: weaker than the "
        "freshness inherited from level3: expected '2025-01-01' or later, got '2024-01-01'",
    ]
