"""Load a version 1 policy file into a `Policy`.

Algorithm (`load_policy`):
1. Read and parse the YAML with positions (`_yaml.load_yaml_file`): size limit, strict UTF-8,
   no anchors, aliases, merge keys, duplicate keys or non-string keys.
2. Require a mapping at the top level with `version: 1`, before anything else: a file of a
   later version is reported as such, not as a list of unknown keys.
3. Validate against the shipped JSON Schema (`schema/policy-v1.schema.json`); report the first
   problem in file order.
4. Check what the schema cannot (`check_document`), each problem at its own position, and
   report the first in file order:
   a. trust: private trust root files are readable;
   b. vendors: identity and issuer patterns (a regular expression must compile; a glob must
      not be wildcards only); public key files;
   c. groups: each member's public key file; no key shared by two members of a group (two
      approvals must be two people);
   d. site: the VSA public key file;
   e. segments: `extends` names a segment, no chain of `extends` is a cycle or deeper than
      MAX_EXTENDS_DEPTH (resolved once per segment, linear in their number); each
      each requirement parsed by its kind (`provenance.policy.requirements`) into a typed
      spec, which also checks what the schema cannot: known vendors, groups and products,
      counts that can be met, version specifiers, dates, patterns, licences.
   Key and trust root paths are relative to the policy file's directory.
5. Build the immutable model.

`check_document` also finds warnings (patterns that match more than meant, a segment that
weakens the one it extends, vendors and groups nothing requires); `provenance policy lint`
reports them with every error, `load_policy` ignores them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from provenance.errors import InputError, PolicyError
from provenance.policy._model import Group, Policy, Product, Segment, Vendor
from provenance.policy._schema import SCHEMA_V1, malformed_keys, schema_problems
from provenance.policy._trust_material import advisory_publishers, tuf_max_staleness_days
from provenance.policy._yaml import (
    JsonPath,
    Mark,
    YamlDocument,
    describe_value,
    load_yaml_file,
)
from provenance.policy.requirements import Entry, RequirementSpec, requirement_kinds
from provenance.policy.requirements.approvals import ApprovalsSpec
from provenance.policy.requirements.signed_by import SignedBySpec
from provenance.steps import doing
from provenance.verification.in_toto_keys import InTotoKey, load_layout_key
from provenance.verification.matching import Pattern
from provenance.verification.openpgp import OpenPgpSigner, load_openpgp_signer
from provenance.verification.signers import (
    KeyThreshold,
    PublicKeySigner,
    SignerRule,
    SigstoreIdentity,
    key_id_of,
    load_public_key,
)
from provenance.verification.trusted_publishers import (
    GitHubPublisher,
    GitLabPublisher,
    GooglePublisher,
    Publisher,
    TrustedPublisher,
)
from provenance.verification.x509.signer import X509Signer, load_x509_signer

__all__ = [
    "DEFAULT_SIGSTORE_TRUST",
    "MAX_EXTENDS_DEPTH",
    "MAX_POLICY_BYTES",
    "POLICY_VERSION",
    "Checked",
    "check_document",
    "check_top_level",
    "load_policy",
    "read_policy_document",
]

# A policy is a few kilobytes of YAML written by people; anything larger is not one. The
# pure-Python YAML composer (needed to refuse anchors) loads this much in about two seconds.
MAX_POLICY_BYTES = 256 * 1024
POLICY_VERSION = 1
# `extends` chains deeper than this are an error: no site has 32 nested zones, and every
# command that loads the policy walks them.
MAX_EXTENDS_DEPTH = 32
# Used when a policy has no `trust.sigstore`.
DEFAULT_SIGSTORE_TRUST = ("embedded:production",)


def load_policy(path: Path) -> Policy:
    """Load and check a policy file; every problem raises `PolicyError` with its position."""
    with doing("loading the policy", str(path)):
        return _load_policy(path)


def _load_policy(path: Path) -> Policy:
    document = read_policy_document(path)
    top = check_top_level(document)
    if top is not None:
        raise top
    problems = schema_problems(document, SCHEMA_V1)
    if problems:
        raise problems[0]
    checked = check_document(document, path)
    if checked.errors:
        raise checked.errors[0]
    assert checked.policy is not None  # built whenever there is no error
    return checked.policy


def read_policy_document(path: Path) -> YamlDocument:
    return load_yaml_file(path, max_bytes=MAX_POLICY_BYTES)


def check_top_level(document: YamlDocument) -> PolicyError | None:
    """A mapping with `version: 1`, or the problem that stops every other check."""
    data = document.data
    if not isinstance(data, dict):
        return document.error(
            (), f"expected a mapping at the top level, got {describe_value(data)}"
        )
    if "version" not in data:
        return document.error(
            (), f"missing required key 'version' (expected version: {POLICY_VERSION})"
        )
    version = data["version"]
    if type(version) is not int or version != POLICY_VERSION:
        return document.error(
            ("version",),
            f"expected {POLICY_VERSION}, got {describe_value(version)} (this release of "
            f"provenance reads policy version {POLICY_VERSION})",
        )
    return None


@dataclass
class Checked:
    """The outcome of `check_document`: problems in file order, and the policy if no error."""

    errors: list[PolicyError] = field(default_factory=list)
    warnings: list[PolicyError] = field(default_factory=list)
    policy: Policy | None = None


def check_document(document: YamlDocument, path: Path) -> Checked:
    """Every problem the schema cannot find, and the `Policy` if there is no error.

    The document has passed `check_top_level`; it may have failed the schema (lint checks
    everything), so every step skips values of the wrong shape.
    """
    return _Checker(document, path).run()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _sort_key(error: PolicyError) -> tuple[int, int, str]:
    return (error.line or 0, error.column or 0, error.problem)


class _Checker:
    def __init__(self, document: YamlDocument, path: Path) -> None:
        self.document = document
        self.path = path
        self.base = path.parent
        self.data: dict[str, Any] = cast(dict[str, Any], document.data)
        self.errors: list[PolicyError] = []
        self.warnings: list[PolicyError] = []
        # Set by _segments: each segment's own requirements, and the effective ones (kind ->
        # (origin, spec)) of every segment not on or leading into a cycle.
        self._own: dict[str, dict[str, RequirementSpec]] = {}
        self._effective: dict[str, dict[str, tuple[str, RequirementSpec]]] = {}
        # (segment, kind) -> the settings of the entry that fail its schema; None: the whole
        # entry does (see `_requirements`).
        self._malformed: dict[tuple[str, str], frozenset[str] | None] = {}
        # Set by _trust, read by _signer_trust_root.
        self.trust_roots: tuple[str, ...] = ()

    # -- reporting (the CheckContext protocol of requirement kinds) -------------------------------

    def error(self, path: JsonPath, problem: str, *, at_key: bool = False) -> None:
        self.errors.append(self.document.error(path, problem, at_key=at_key))

    def warn(self, path: JsonPath, problem: str, *, at_key: bool = False) -> None:
        self.warnings.append(self.document.error(path, problem, at_key=at_key))

    @property
    def vendors(self) -> Collection[str] | None:
        vendors = self.data.get("vendors")
        return list(vendors) if isinstance(vendors, dict) else None

    @property
    def groups(self) -> Mapping[str, int] | None:
        groups = self.data.get("groups", {})
        if not isinstance(groups, dict):
            return None
        return {name: len(_dict(_dict(group).get("members"))) for name, group in groups.items()}

    # -- the steps --------------------------------------------------------------------------------

    def run(self) -> Checked:
        trust = self._trust()
        self.trust_roots = trust
        publishers = advisory_publishers(self.data.get("trust"), self.base, self.error)
        vendors = self._vendors()
        groups = self._groups()
        site_vsa_key = self._site()
        segments = self._segments()
        self._unused()
        errors = sorted(self.errors, key=_sort_key)
        warnings = sorted(self.warnings, key=_sort_key)
        if errors:
            return Checked(errors, warnings)
        positions: dict[JsonPath, Mark] = {
            at: info.key if info.key is not None else info.value
            for at, info in self.document.nodes.items()
        }
        policy = Policy(
            path=str(self.path),
            sigstore_trust=trust,
            vendors=vendors,
            groups=groups,
            segments=segments,
            site_vsa_key=site_vsa_key,
            documents=_document_globs(self.data.get("delivery")),
            sha256=self.document.sha256,
            positions=positions,
            advisory_publishers=publishers,
            tuf_max_staleness_days=tuf_max_staleness_days(self.data.get("trust")),
        )
        return Checked(errors, warnings, policy)

    def _trust(self) -> tuple[str, ...]:
        trust = _dict(self.data.get("trust")).get("sigstore", list(DEFAULT_SIGSTORE_TRUST))
        if not isinstance(trust, list):
            return ()
        roots = [
            self._trust_root(("trust", "sigstore", i), reference)
            for i, reference in enumerate(trust)
            if isinstance(reference, str)
        ]
        return tuple(root for root in roots if root is not None)

    def _trust_root(self, at: JsonPath, reference: str) -> str | None:
        if reference.startswith(("embedded:", "imported:")):
            return reference  # the schema allows only the names that exist
        location = os.path.abspath(self.base / reference)
        try:
            with open(location, "rb"):
                pass
        except OSError as exc:
            self.error(at, f"cannot read trust root {location}: {exc.strerror or exc}")
            return None
        return location

    def _key(self, at: JsonPath, reference: Any) -> PublicKeySigner | None:
        """A PEM public key, or a securesystemslib key file (the format in-toto tools write)."""
        if not isinstance(reference, str) or not reference:
            return None
        path = self.base / reference
        try:
            if path.suffix == ".json":
                public = load_layout_key(path).public
                return PublicKeySigner(key=public, source=str(path), key_id=key_id_of(public))
            return load_public_key(path)
        except InputError as exc:
            self.error(at, str(exc))
            return None

    @property
    def products(self) -> Collection[str] | None:
        vendors = self.data.get("vendors")
        if not isinstance(vendors, dict):
            return None
        return [
            product.name
            for name, entry in vendors.items()
            for product in _declared_products(name, _dict(entry).get("products"))
        ]

    def _vendors(self) -> dict[str, Vendor]:
        vendors: dict[str, Vendor] = {}
        owners: dict[str, str] = {}  # product name and purl -> the vendor declaring it
        for name, entry in _dict(self.data.get("vendors")).items():
            signers = _dict(entry).get("signers")
            if not isinstance(signers, list):
                continue
            rules = [
                self._signer(("vendors", name, "signers", i), signer)
                for i, signer in enumerate(signers)
            ]
            products = self._products(name, _dict(entry).get("products"), owners)
            tagged = any(
                isinstance(r, SigstoreIdentity) and "refs/tags" in r.identity.text for r in rules
            )
            if len(products) > 1 and tagged:
                for product in products:
                    if product.source is None and not product.shorthand:
                        self.warn(
                            ("vendors", name, "products", product.name),
                            f"no source: a release tag of {name}'s signing identities never "
                            f"versions {product.name} (give the repository it is built from)",
                            at_key=True,
                        )
            keys, threshold = self._layout_keys(("vendors", name, "in_toto"), entry)
            vendors[name] = Vendor(
                name=name,
                signers=tuple(rule for rule in rules if rule is not None),
                products=products,
                layout_keys=keys,
                layout_threshold=threshold,
            )
        return vendors

    def _products(self, vendor: str, spec: Any, owners: dict[str, str]) -> tuple[Product, ...]:
        """A vendor's products. A product has one vendor: only that vendor's signers may say
        which version a file of it is, so neither a name nor a purl may be declared twice."""
        products = _declared_products(vendor, spec)
        for index, product in enumerate(products):
            at: JsonPath = ("vendors", vendor, "products", product.name)
            if product.shorthand:
                at = ("vendors", vendor, "products", index)
            for key, what in ((product.name, "name"), (product.purl, "package URL")):
                if key in owners:
                    self.error(
                        at,
                        at_key=not product.shorthand,
                        problem=_declared_twice(what, key, owners[key], vendor),
                    )
                owners.setdefault(key, vendor)
        shorthand = [p for p in products if p.shorthand]
        if len(shorthand) == 1:
            self.warn(
                ("vendors", vendor, "products"),
                f"every file {vendor} signs is taken for {shorthand[0].purl}: declare the "
                "product by name with files globs, so another file of this vendor is never "
                "judged as this product",
            )
        elif shorthand:
            self.warn(
                ("vendors", vendor, "products"),
                f"{len(shorthand)} products given as package URLs only: a file is recognised "
                "as one of them only by a signed SBOM naming its purl; declare each by name "
                "with files globs",
            )
        return products

    def _signer(self, at: JsonPath, entry: Any) -> SignerRule | None:
        readers: dict[str, Callable[[JsonPath, Any], SignerRule | None]] = {
            "sigstore": self._sigstore_signer,
            "pypi_publisher": self._pypi_publisher,
            "key": self._key,
            "keys": self._key_threshold,
            "openpgp": self._openpgp_signer,
            "x509": self._x509_signer,
        }
        entry = _dict(entry)
        for kind, read in readers.items():
            if kind in entry:  # the schema allows exactly one kind per entry
                return read((*at, kind), entry[kind])
        return None

    def _layout_keys(self, at: JsonPath, vendor: Any) -> tuple[tuple[InTotoKey, ...], int | None]:
        spec = _dict(_dict(vendor).get("in_toto"))
        files, threshold = spec.get("layout_keys"), spec.get("threshold")
        if not isinstance(files, list):
            return (), None
        keys = []
        for index, name in enumerate(files):
            if not isinstance(name, str) or not name:
                continue
            try:
                keys.append(load_layout_key(self.base / name))
            except InputError as exc:
                self.error((*at, "layout_keys", index), str(exc))
        if isinstance(threshold, int) and threshold > len(keys):
            self.error(
                (*at, "threshold"),
                f"expected at most {len(keys)} (the layout keys listed), got {threshold}, so no "
                "layout could ever meet it",
            )
        return tuple(keys), threshold if isinstance(threshold, int) else None

    def _sigstore_signer(self, at: JsonPath, rule: Any) -> SigstoreIdentity | None:
        if not isinstance(rule, dict):
            return None
        identity = self._pattern(at, rule, "identity")
        issuer = self._pattern(at, rule, "issuer")
        if identity is None or issuer is None:
            return None
        root = self._signer_trust_root(at, rule.get("trust_root"))
        if root is None:
            return None
        return SigstoreIdentity(identity=identity, issuer=issuer, trust_root=root)

    def _pypi_publisher(self, at: JsonPath, rule: Any) -> TrustedPublisher | None:
        """A PyPI Trusted Publisher; the schema has checked each kind's fields."""
        if not isinstance(rule, dict):
            return None
        publisher: Publisher
        if isinstance(github := rule.get("github"), dict):
            kind, spec = "github", github
            publisher = GitHubPublisher(str(github.get("repository")), str(github.get("workflow")))
        elif isinstance(gitlab := rule.get("gitlab"), dict):
            kind, spec = "gitlab", gitlab
            publisher = GitLabPublisher(
                str(gitlab.get("repository")), str(gitlab.get("workflow_filepath"))
            )
        elif isinstance(google := rule.get("google"), dict):
            publisher = GooglePublisher(str(google.get("email")))
            kind, spec = "google", google
        else:
            return None
        if "environment" in spec:
            # Absent means "not checked"; a present rule that nothing checks would mislead.
            self.error(
                (*at, kind, "environment"),
                "expected no environment: the signing certificate does not record the "
                "deployment environment (Fulcio has no such claim), so it cannot be verified "
                "here; PyPI checks it when the file is uploaded. Remove it, and protect the "
                "environment in the repository instead",
                at_key=True,
            )
            return None
        root = self._signer_trust_root(at, rule.get("trust_root"))
        if root is None:
            return None
        return TrustedPublisher(publisher, trust_root=root)

    def _x509_signer(self, at: JsonPath, spec: Any) -> X509Signer | None:
        if not isinstance(spec, dict):
            return None
        try:
            return load_x509_signer(spec, self.base)
        except InputError as exc:
            self.error(at, str(exc))
            return None

    def _openpgp_signer(self, at: JsonPath, reference: Any) -> OpenPgpSigner | None:
        if not isinstance(reference, str) or not reference:
            return None
        try:
            return load_openpgp_signer(self.base / reference)
        except InputError as exc:
            self.error(at, str(exc))
            return None

    def _key_threshold(self, at: JsonPath, rule: Any) -> KeyThreshold | None:
        if not isinstance(rule, dict):
            return None
        files, threshold = rule.get("files"), rule.get("threshold")
        if not isinstance(files, list) or not isinstance(threshold, int):
            return None
        keys = [self._key((*at, "files", i), name) for i, name in enumerate(files)]
        loaded = [key for key in keys if key is not None]
        if len(loaded) != len(files):
            return None
        if len({key.key_id for key in loaded}) != len(loaded):
            self.error((*at, "files"), "expected distinct keys, got the same key twice")
            return None
        if threshold > len(loaded):
            self.error(
                (*at, "threshold"),
                f"expected at most {len(loaded)} (the keys listed), got {threshold}, so no "
                "envelope could ever meet it",
            )
            return None
        return KeyThreshold(keys=tuple(loaded), threshold=threshold)

    def _signer_trust_root(self, at: JsonPath, named: Any) -> str | None:
        """The one trust root allowed to vouch for a keyless signer (see the schema)."""
        trusted = self.trust_roots
        if named is None:
            if len(trusted) == 1:
                return trusted[0]
            if trusted:
                self.error(
                    at,
                    "expected trust_root naming which of trust.sigstore vouches for this "
                    "identity (the policy trusts several instances), got none",
                )
            return None
        if not isinstance(named, str):
            return None
        resolved = named if named.startswith("embedded:") else os.path.abspath(self.base / named)
        if resolved not in trusted:
            self.error(
                (*at, "trust_root"),
                f"expected one of trust.sigstore ({', '.join(trusted) or 'none'}), got {named!r}",
            )
            return None
        return resolved

    def _pattern(self, at: JsonPath, rule: dict[str, Any], kind: str) -> Pattern | None:
        """`identity`/`issuer` is a glob; `identity_regex`/`issuer_regex` a full-match regex."""
        article = "an" if kind[0] in "aeiou" else "a"
        text = rule.get(kind)
        if isinstance(text, str) and text:
            if set(text) == {"*"}:
                self.error(
                    (*at, kind),
                    f"expected {article} {kind} pattern with literal text, got {text!r}, which "
                    f"matches any {kind}",
                )
                return None
            return Pattern.glob(text)
        text = rule.get(f"{kind}_regex")
        if not isinstance(text, str) or not text:
            return None
        try:
            pattern = Pattern.regex(text)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            self.error(
                (*at, f"{kind}_regex"),
                f"expected a regular expression, got {text!r}, which does not compile: "
                f"{exc.msg}{where}",
            )
            return None
        for problem in _regex_warnings(text, kind):
            self.warn((*at, f"{kind}_regex"), problem)
        return pattern

    def _groups(self) -> dict[str, Group]:
        groups: dict[str, Group] = {}
        for name, entry in _dict(self.data.get("groups")).items():
            members: dict[str, PublicKeySigner] = {}
            first_with_key: dict[str, str] = {}
            for member, reference in _dict(_dict(entry).get("members")).items():
                at: JsonPath = ("groups", name, "members", member)
                key = self._key(at, reference)
                if key is None:
                    continue
                if key.key_id in first_with_key:
                    other = first_with_key[key.key_id]
                    self.error(
                        at,
                        f"expected a key of its own, got the key of {other} ({key.key_id}); "
                        "two approvals must be two people",
                    )
                    continue
                first_with_key[key.key_id] = member
                members[member] = key
            groups[name] = Group(name=name, members=members)
        return groups

    def _site(self) -> PublicKeySigner | None:
        site = _dict(self.data.get("site"))
        return self._key(("site", "vsa_key"), site["vsa_key"]) if "vsa_key" in site else None

    # -- segments ---------------------------------------------------------------------------------

    def _segments(self) -> dict[str, Segment]:
        entries = {name: _dict(entry) for name, entry in _dict(self.data.get("segments")).items()}
        parents: dict[str, str | None] = {}
        for name, entry in entries.items():
            parent = entry.get("extends")
            parents[name] = parent if isinstance(parent, str) else None
            if isinstance(parent, str) and parent not in entries:
                known = ", ".join(sorted(entries))
                self.error(
                    ("segments", name, "extends"),
                    f"unknown segment {parent!r} (expected one of: {known})",
                )
        cyclic = self._cycles(parents)
        own = {
            name: self._requirements(name, entry.get("require")) for name, entry in entries.items()
        }
        resolved = {name: p for name, p in parents.items() if p is None or p in entries}
        # A segment whose parent is unknown (an error already) counts as extending none.
        roots_known = {name: parents[name] if name in resolved else None for name in parents}
        effective, depth = _resolve(own, roots_known, cyclic)
        for name, parent in resolved.items():
            if parent is None or name in cyclic:
                continue
            if depth[name] > MAX_EXTENDS_DEPTH >= depth[parent]:
                self.error(
                    ("segments", name, "extends"),
                    f"expected a chain of extends at most {MAX_EXTENDS_DEPTH} segments deep, "
                    f"got {depth[name]} from {name!r}",
                )
            self._weakening(name, parent, own, effective[parent])
        self._own = own
        self._effective = effective
        return {
            name: Segment(name=name, extends=parents[name], require=own[name]) for name in entries
        }

    def _cycles(self, parents: Mapping[str, str | None]) -> set[str]:
        """Report each cycle once, at the `extends` that closes it; return the segments on or
        leading into a cycle.

        Walk from each segment in file order along `extends`; a walk that reaches a segment
        already on it has found a cycle, closed by the last segment walked.
        """
        done: set[str] = set()
        cyclic: set[str] = set()
        for start in parents:
            walk: list[str] = []
            on_walk: set[str] = set()
            current: str | None = start
            while current is not None and current in parents and current not in done:
                if current in on_walk:
                    cycle = [*walk[walk.index(current) :], current]
                    self.error(
                        ("segments", walk[-1], "extends"),
                        "expected a chain of extends that ends, got a cycle: " + " -> ".join(cycle),
                    )
                    cyclic.update(walk)
                    break
                walk.append(current)
                on_walk.add(current)
                current = parents[current]
            else:
                if current in cyclic:
                    cyclic.update(walk)
            done.update(walk)
        return cyclic

    def _requirements(self, segment: str, require: Any) -> dict[str, RequirementSpec]:
        """Each entry of a segment's `require` parsed by its kind (an unknown kind is the
        schema's to report). An entry that fails its schema still has its other problems
        reported and its names counted as used; its settings that fail are not compared for
        weakening (`_malformed`)."""
        kinds = requirement_kinds()
        specs: dict[str, RequirementSpec] = {}
        for name, value in _dict(require).items():
            if name in kinds:
                at = ("segments", segment, "require", name)
                specs[name] = kinds[name].parse(Entry(self, at, value))
                self._malformed[segment, name] = malformed_keys(
                    value, SCHEMA_V1, kinds[name].schema
                )
        return specs

    def _weakening(
        self,
        name: str,
        parent: str,
        own: Mapping[str, dict[str, RequirementSpec]],
        inherited: Mapping[str, tuple[str, RequirementSpec]],
    ) -> None:
        kinds = requirement_kinds()
        for kind, spec in own[name].items():
            if kind not in inherited:
                continue
            origin, before = inherited[kind]
            own_bad, inherited_bad = self._malformed[name, kind], self._malformed[origin, kind]
            if own_bad is None or inherited_bad is None:
                continue
            for weaker in kinds[kind].weakening(before, spec):
                if weaker.setting in own_bad | inherited_bad:
                    continue
                self.warn(
                    ("segments", name, "require", kind, *weaker.at),
                    f"weaker than the {kind} inherited from {origin}: {weaker.problem}",
                )

    def _unused(self) -> None:
        """Vendors and groups that no segment requires: declared, but deciding nothing."""
        effective = self._effective
        if not effective:
            return  # no segments: a policy for `verify` only
        named = {v for reqs in effective.values() for v in _effective_vendors(reqs)}
        every_segment_names_vendors = all("signed_by" in reqs for reqs in effective.values())
        if every_segment_names_vendors:
            for vendor in _dict(self.data.get("vendors")):
                if vendor not in named:
                    self.warn(
                        ("vendors", vendor),
                        "declared but never required: no segment's signed_by names it, so a "
                        "signature by this vendor admits nothing",
                        at_key=True,
                    )
        groups_named = {
            spec.group
            for require in self._own.values()
            for spec in require.values()
            if isinstance(spec, ApprovalsSpec)
        }
        for group in _dict(self.data.get("groups")):
            if group not in groups_named:
                self.warn(
                    ("groups", group),
                    "declared but never required: no segment's approvals names it",
                    at_key=True,
                )


def _declared_twice(what: str, key: str, first: str, vendor: str) -> str:
    if first == vendor:
        return f"product {what} {key!r} is declared twice: declare each product once"
    return (
        f"product {what} {key!r} is also declared by vendor {first!r}: a product has one "
        "vendor, whose signers alone say which version a file of it is (a co-signer such as "
        "an integrator needs no products entry)"
    )


def _document_globs(delivery: Any) -> tuple[Pattern, ...]:
    globs = _dict(delivery).get("documents", [])
    return (
        tuple(Pattern.glob(g) for g in globs if isinstance(g, str))
        if isinstance(globs, list)
        else ()
    )


def _declared_products(vendor: str, spec: Any) -> tuple[Product, ...]:
    """The products a vendor's `products` entry declares (either form), skipping entries of
    the wrong shape (the schema reports those)."""
    if isinstance(spec, list):
        return tuple(
            Product(
                name=purl.rstrip("/").rpartition("/")[2], purl=purl, vendor=vendor, shorthand=True
            )
            for purl in spec
            if isinstance(purl, str) and purl
        )
    products = []
    for name, entry in _dict(spec).items():
        purl = _dict(entry).get("purl")
        files = _dict(entry).get("files", [])
        source = _dict(entry).get("source")
        if not isinstance(purl, str) or not isinstance(files, list):
            continue
        globs = tuple(Pattern.glob(f) for f in files if isinstance(f, str) and f)
        products.append(
            Product(
                name=name,
                purl=purl,
                vendor=vendor,
                files=globs,
                source=source if isinstance(source, str) else None,
            )
        )
    return tuple(products)


def _resolve(
    own: Mapping[str, dict[str, RequirementSpec]],
    parents: Mapping[str, str | None],
    cyclic: Collection[str],
) -> tuple[dict[str, dict[str, tuple[str, RequirementSpec]]], dict[str, int]]:
    """Each segment's effective requirements (kind -> (origin segment, entry)) and the depth
    of its `extends` chain (1: it extends none), for every segment not on or leading into a
    cycle.

    Linear in the number of segments: each segment's result is its parent's, with its own
    entries on top, and a chain is walked once (from its first unresolved segment up to one
    already resolved, then back down), never again from each segment below it.
    """
    effective: dict[str, dict[str, tuple[str, RequirementSpec]]] = {}
    depth: dict[str, int] = {}
    for start in parents:
        if start in cyclic:
            continue
        # 1. Up to a resolved segment, or the top of the chain.
        pending: list[str] = []
        current: str | None = start
        while current is not None and current not in effective:
            pending.append(current)
            current = parents.get(current)
        # 2. Back down, each on its parent's result.
        for name in reversed(pending):
            parent = parents.get(name)
            merged = dict(effective[parent]) if parent is not None else {}
            merged.update((kind, (name, spec)) for kind, spec in own.get(name, {}).items())
            effective[name] = merged
            depth[name] = depth[parent] + 1 if parent is not None else 1
    return effective, depth


def _effective_vendors(requirements: Mapping[str, tuple[str, RequirementSpec]]) -> tuple[str, ...]:
    spec = requirements.get("signed_by", ("", None))[1]
    return spec.vendors if isinstance(spec, SignedBySpec) else ()


# --- patterns that match more than their author meant -----------------------------------------

# Values no identity or issuer pattern should match all of.
_ANYTHING = (
    "x",
    "attacker@evil.example",
    "https://evil.example/attacker/repo/.github/workflows/release.yml@refs/heads/main",
    "https://issuer.evil.example",
)


def _regex_warnings(text: str, kind: str) -> list[str]:
    """Why a regular expression that compiles is still not anchored-safe, if it is not."""
    compiled = re.compile(text)
    problems: list[str] = []
    if all(compiled.fullmatch(value) for value in _ANYTHING):
        problems.append(
            f"expected a regular expression naming a specific {kind}, got {text!r}, which "
            f"matches any {kind}"
        )
    elif compiled.fullmatch("") is not None:
        problems.append(
            f"expected a regular expression that needs some text, got {text!r}, which matches "
            "the empty string"
        )
    dotted = _unescaped_dots(text)
    if dotted:
        examples = ", ".join(repr(word) for word in dotted)
        problems.append(
            f"unescaped '.' in {examples} matches any character (so "
            f"{dotted[0].replace('.', 'X', 1)!r} matches too); write '\\.' for a literal dot"
        )
    if text.startswith("^") or _ends_with_anchor(text):
        problems.append(
            "'^' and '$' are redundant: a regular expression always matches the whole value"
        )
    return problems


def _unescaped_dots(text: str) -> list[str]:
    """The words joined by a bare `.` (outside a character class): `github.com`."""
    found: list[str] = []
    escaped = in_class = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif (
            char == "."
            and 0 < index < len(text) - 1
            and _is_word(text[index - 1])
            and _is_word(text[index + 1])
        ):
            start, end = index - 1, index + 1
            while start > 0 and _is_word(text[start - 1]):
                start -= 1
            while end < len(text) - 1 and _is_word(text[end + 1]):
                end += 1
            found.append(text[start : end + 1])
    return found


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _ends_with_anchor(text: str) -> bool:
    if not text.endswith("$"):
        return False
    backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0
