"""C2PA content credentials: the signed manifest that ``stableface synthesize`` puts in its mp4.

The manifest (C2PA 2.x, written by ``c2pa-python``, the Content Authenticity Initiative's
bindings of the reference implementation) holds one ``c2pa.actions.v2`` assertion: the action
``c2pa.created`` with ``digitalSourceType`` = IPTC's ``trainedAlgorithmicMedia``, the software
agent (``stableface`` and its version) and parameters (the run's checkpoint SHA-256, its step,
the watermark's run id, whether the visible label is on). The file's bytes are covered by a
``c2pa.hash.bmff.v3`` hash, so editing any byte of the video makes validation fail.

Signing: with the user's certificate chain and private key (PEM; ES256 / ES384 / ES512 for EC keys
on P-256 / P-384 / P-521, PS256 for RSA, Ed25519), or else with a local certificate that
:func:`local_signer` makes once in the user's config folder (``$STABLEFACE_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/stableface``, else ``~/.config/stableface``; folder ``c2pa-local``): a P-256 signing certificate
issued by a local CA of its own, with the extensions C2PA requires of a signer (key usage
digitalSignature, extended key usage emailProtection, not a CA, key identifiers). A verifier
validates the signature and the file's hash with it, and reports the signer as untrusted
(``signingCredential.untrusted``): no public trust list knows that CA.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path

from generator.errors import GeneratorError

#: IPTC's digital source type for media made by a model trained on sampled content.
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
#: The local certificate's lifetime (days).
LOCAL_CERT_DAYS = 3650
LOCAL_DIR, LOCAL_CHAIN, LOCAL_KEY = "c2pa-local", "chain.pem", "key.pem"


def config_dir() -> Path:
    """The user's stableface config folder."""
    if os.environ.get("STABLEFACE_CONFIG_DIR"):
        return Path(os.environ["STABLEFACE_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "stableface"


def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stableface (local, untrusted)")])


def make_local_chain() -> tuple[bytes, bytes]:
    """A new (certificate chain PEM, private key PEM): a P-256 signer issued by a local CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=LOCAL_CERT_DAYS)
    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
                 encipher_only=False, decipher_only=False)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("stableface local CA")).issuer_name(_name("stableface local CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **usage), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(_name("stableface local signer")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = cert.public_bytes(pem) + ca.public_bytes(pem)
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return chain, private


def local_credentials() -> tuple[Path, Path]:
    """(chain, key) paths of the local certificate, made on first use (the key readable by its
    owner only). Both files are written into a temporary folder that is renamed into place, so two
    processes making it at once keep one matching pair."""
    import tempfile

    d = config_dir() / LOCAL_DIR
    chain, key = d / LOCAL_CHAIN, d / LOCAL_KEY
    if chain.is_file() and key.is_file():
        return chain, key
    try:
        d.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=d.parent, prefix=".c2pa-local-"))
        pem_chain, pem_key = make_local_chain()
        fd = os.open(tmp / LOCAL_KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem_key)
        (tmp / LOCAL_CHAIN).write_bytes(pem_chain)
        try:
            os.rename(tmp, d)
        except OSError:  # another process was first: keep its pair
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
    except OSError as exc:
        raise GeneratorError(f"cannot keep the local signing certificate in {d} ({exc.strerror or exc}); "
                             "set STABLEFACE_CONFIG_DIR, or give sign_cert=PEM and sign_key=PEM") from None
    return chain, key


def _algorithm(key_pem: bytes, where: str) -> str:
    """The C2PA signing algorithm for a PEM private key."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise GeneratorError(f"{where}: not an unencrypted PEM private key ({str(exc).splitlines()[0]})") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algs = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name not in algs:
            raise GeneratorError(f"{where}: EC curve {key.curve.name} is not one C2PA signs with (P-256, P-384, P-521)")
        return algs[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise GeneratorError(f"{where}: a {type(key).__name__} cannot sign C2PA manifests")


def signer(cert: str | os.PathLike | None = None, key: str | os.PathLike | None = None):
    """A ``c2pa.Signer`` from the user's PEM chain and key, or from the local certificate."""
    import c2pa

    if (cert is None) != (key is None):
        raise GeneratorError("give both sign_cert=PEM and sign_key=PEM (or neither, for the local certificate)")
    local = cert is None
    if local:
        cert, key = local_credentials()
    try:
        chain, private = Path(cert).read_bytes(), Path(key).read_bytes()
    except OSError as exc:
        raise GeneratorError(f"{exc.filename}: cannot read ({exc.strerror})") from None
    alg = _algorithm(private, str(key))
    try:
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, chain, private, None))
    except c2pa.C2paError as exc:
        raise GeneratorError(f"{cert}: the certificate chain and key do not make a C2PA signer ({exc})") from None


def manifest_definition(title: str, *, checkpoint_sha256: str, run_step: int | None, run_id: str,
                        visible_label: bool, watermark: bool, audio_mark: bool = False) -> dict:
    """The manifest's JSON definition (claims) for one generated video."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("stableface")
    except PackageNotFoundError:
        ours = "unknown"
    agent = {"name": "stableface", "version": ours}
    params = {"model": "StableFace (Ling et al., arXiv:2208.13717)", "checkpoint_sha256": checkpoint_sha256,
              "run_step": run_step, "watermark_run_id": run_id if watermark else None,
              "visible_label": visible_label, "invisible_watermark": watermark, "audio_mark": audio_mark}
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": "video/mp4",
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
            "softwareAgent": agent, "parameters": params}]}}],
    }


def sign_video(src: str | os.PathLike, dst: str | os.PathLike, definition: dict, the_signer) -> None:
    """Copy the mp4 ``src`` to ``dst`` with the signed manifest embedded."""
    import c2pa

    try:
        with c2pa.Builder(definition) as builder, open(src, "rb") as s, open(dst, "w+b") as d:
            builder.sign(the_signer, "video/mp4", s, d)
    except c2pa.C2paError as exc:
        raise GeneratorError(f"signing the C2PA manifest failed: {exc}") from None
