"""Reading a video's C2PA manifest with ``c2pa-python``: valid, tampered or absent, and its claims.

States: ``absent`` (no manifest in the file), ``valid`` (signature and content hash verify; the
signer may still be untrusted, which ``trusted`` says), ``tampered`` (a hash or the signature
does not match: the file was changed after signing), ``unreadable`` (a manifest that cannot be
parsed), ``unavailable`` (c2pa-python is not installed).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

#: IPTC digital source types that declare generated content.
GENERATED_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
                          "compositeSynthetic")
#: Validation failures that only concern trust (the signer's certificate is not on a trust list, no
#: revocation check was made), not the file's integrity.
TRUST_CODES = ("signingCredential.untrusted", "signingCredential.ocsp.skipped", "timeStamp.untrusted")


@dataclass(frozen=True)
class ManifestReport:
    state: str
    trusted: bool = False
    generated: bool = False
    digital_source_type: str | None = None
    generator: str | None = None
    actions: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    signer: str | None = None
    failures: list[str] = field(default_factory=list)
    message: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def read_manifest(path: str | os.PathLike) -> ManifestReport:
    """The C2PA manifest of a local file (reads the container's boxes, decodes no frame)."""
    try:
        import c2pa
    except ImportError:
        return ManifestReport("unavailable", message="c2pa-python is not installed (pip install c2pa-python)")
    try:
        reader = c2pa.Reader(str(path))
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in type(exc).__name__ or "no JUMBF" in text or "ManifestNotFound" in text:
            return ManifestReport("absent")
        if "NotSupported" in type(exc).__name__:
            return ManifestReport("absent", message=f"format not supported by C2PA: {text[:120]}")
        return ManifestReport("unreadable", message=text[:200])
    with reader:
        active = reader.get_active_manifest() or {}
        results = (reader.get_validation_results() or {}).get("activeManifest", {})
    failures = [f.get("code", "") for f in results.get("failure", [])]
    integrity = [c for c in failures if c not in TRUST_CODES]
    actions, source, params = [], None, {}
    for assertion in active.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for a in assertion.get("data", {}).get("actions", []):
                actions.append(a.get("action"))
                if a.get("action") == "c2pa.created":
                    source = a.get("digitalSourceType", source)
                    params = a.get("parameters", params) or {}
    info = (active.get("claim_generator_info") or [{}])[0]
    generator = " ".join(str(info[k]) for k in ("name", "version") if info.get(k)) or active.get("claim_generator")
    sig = active.get("signature_info", {})
    return ManifestReport(
        state="tampered" if integrity else "valid",
        trusted=not failures,
        generated=bool(source) and source.rsplit("/", 1)[-1] in GENERATED_SOURCE_TYPES,
        digital_source_type=source, generator=generator, actions=actions, parameters=params,
        signer=sig.get("common_name") or sig.get("issuer"), failures=failures,
    )
