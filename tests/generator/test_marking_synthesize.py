"""`stableface synthesize` marks what it generates (label, watermark, audio mark, C2PA manifest) and
`stableface check` reads it back: a real tiny run, real espeak-ng speech, c2pa-python validating."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from generator.cli import main
from msi.io.video import read_frames


@pytest.fixture(scope="module")
def run(tiny_clip, tmp_path_factory):
    import torch

    from generator.config import tiny
    from generator.train import train

    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("mark-run")
    train(tiny_clip, d, tiny(), max_steps=2, progress=False)
    return d


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    p = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(p), "Good morning, the weather is fine."], check=True)
    return p


@pytest.fixture(scope="module")
def short_speech(tmp_path_factory):
    """0.95 s of speech (``speech``: 2.1 s), for an output whose marks are not read back (its C2PA
    manifest is checked the same at any length; the speech is too short for the audio mark to be read,
    so an output checked for the mark's absence keeps ``speech``): its synthesis renders under half the frames."""
    p = tmp_path_factory.mktemp("speech") / "short.wav"
    subprocess.run(["espeak-ng", "-w", str(p), "Good morning."], check=True)
    return p


@pytest.fixture(scope="module")
def videos(run, speech, tiny_clip, tmp_path_factory):
    """The default output and the same run without the visible label (both with manifest and mark)."""
    d = tmp_path_factory.mktemp("marked")
    common = [str(run), "--audio", str(speech), "--background", str(tiny_clip), "--quiet"]
    assert main(["synthesize", *common, "--out", str(d / "default.mp4")]) == 0
    assert main(["synthesize", *common, "--out", str(d / "nolabel.mp4"), "--no-visible-label"]) == 0
    return d


@pytest.mark.slow
def test_a_synthesized_mp4_carries_a_valid_manifest_with_the_claims(videos, run):
    import c2pa

    from msi.provenance.watermark import checkpoint_sha256

    with c2pa.Reader(str(videos / "default.mp4")) as reader:
        assert reader.get_validation_state() == "Valid"
        active = reader.get_active_manifest()
        failures = [f["code"] for f in reader.get_validation_results()["activeManifest"]["failure"]]
    assert failures == ["signingCredential.untrusted"]  # the local certificate: valid, not trusted
    (created,) = [a for x in active["assertions"] if x["label"].startswith("c2pa.actions")
                  for a in x["data"]["actions"]]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
    assert created["softwareAgent"]["name"] == "stableface" and created["softwareAgent"]["version"]
    assert created["parameters"]["checkpoint_sha256"] == checkpoint_sha256(run / "checkpoint.pt")
    assert active["signature_info"]["common_name"] == "stableface local signer"
    # the local certificate is made once, kept in the config folder (key: owner only), and reused
    conf = Path(os.environ["STABLEFACE_CONFIG_DIR"])
    assert (conf / "c2pa-local" / "key.pem").stat().st_mode & 0o777 == 0o600
    with c2pa.Reader(str(videos / "nolabel.mp4")) as other:
        serial = other.get_active_manifest()["signature_info"]["cert_serial_number"]
    assert serial == active["signature_info"]["cert_serial_number"]


@pytest.mark.slow
def test_editing_one_byte_of_the_video_makes_validation_fail(videos, tmp_path, run_cli):
    from msi.provenance.manifest import read_manifest

    data = bytearray((videos / "default.mp4").read_bytes())
    k = data.find(b"mdat") + 64  # one byte of the coded video
    data[k] ^= 0x01
    (tmp_path / "edited.mp4").write_bytes(bytes(data))
    r = read_manifest(tmp_path / "edited.mp4")
    assert r.state == "tampered" and "assertion.bmffHash.mismatch" in r.failures
    assert read_manifest(videos / "default.mp4").state == "valid"
    code, out, _ = run_cli(["check", str(tmp_path / "edited.mp4"), "--frames", "25"], main=main)
    assert code == 0 and ("AI-generated (declared by watermark and audio_mark) | C2PA TAMPERED "
                          "(assertion.bmffHash.mismatch) | watermark found: stableface run ") in out  # the tampered
    # manifest declares nothing


@pytest.mark.slow
def test_the_label_is_drawn_in_a_corner_off_the_face_and_the_mark_is_read_from_the_file(videos, run, tiny_clip,
                                                                                          run_cli):
    from generator.data.dataset import load_clip
    from generator.marking import label as L
    from msi.provenance.watermark import checkpoint_sha256, read_video

    a, b = read_frames(videos / "default.mp4").astype(float), read_frames(videos / "nolabel.mp4").astype(float)
    clip = load_clip(tiny_clip)
    face = L.face_mask(clip.landmarks, 256, clip.size)
    p = L.place(256, 256, face)
    box = np.zeros((256, 256), bool)
    box[p.y0:p.y0 + p.h, p.x0:p.x0 + p.w] = True
    diff = np.abs(a - b).mean(axis=(0, 3))
    # the label differs, little else does (two renders of a 2-step run differ by a few levels anyway)
    assert diff[box].mean() > 20 and diff[box].mean() > 5 * diff[~box].mean()
    inside = a[:, box].mean(axis=-1)
    assert (inside > 200).mean() > 0.02 and np.median(inside) < np.median(b[:, box])  # white text on a dark box
    assert p.face_overlap == 0 and not face[box].any()
    run_id = checkpoint_sha256(run / "checkpoint.pt")[:8]
    for name in ("default.mp4", "nolabel.mp4"):
        r = read_video(videos / name)
        assert r.found and r.run_id == run_id
    code, out, _ = run_cli(["check", str(videos / "default.mp4"), "--json"], main=main)
    (rec,) = json.loads(out)
    assert code == 0 and rec["declared_generated"] and rec["declared_by"] == ["c2pa", "watermark", "audio_mark"]
    assert rec["c2pa"]["state"] == "valid" and rec["watermark"]["tag"] == "stableface"
    # the speech carries the same run id (the audio mark), read from the muxed AAC track
    assert rec["audio_mark"]["found"] and rec["audio_mark"]["run_id"] == run_id
    assert read_manifest_params(videos / "default.mp4")["audio_mark"] is True
    code, out, _ = run_cli(["check", str(videos / "default.mp4"), "--frames", "10"], main=main)
    assert code == 0 and ": AI-generated (declared by c2pa, watermark and audio_mark) | C2PA valid (" in out


def read_manifest_params(path):
    """The creation action's parameters in a file's C2PA manifest (read by c2pa-python)."""
    import c2pa

    with c2pa.Reader(str(path)) as reader:
        active = reader.get_active_manifest()
    (created,) = [a for x in active["assertions"] if x["label"].startswith("c2pa.actions")
                  for a in x["data"]["actions"]]
    return created["parameters"]


@pytest.mark.slow
def test_switching_marks_off_takes_an_option_and_warns(run, speech, tiny_clip, tmp_path, capsys):
    from msi.provenance import audio_mark
    from msi.provenance.manifest import read_manifest
    from msi.provenance.watermark import checkpoint_sha256, read_video

    common = ["synthesize", str(run), "--audio", str(speech), "--background", str(tiny_clip), "--quiet"]
    out = tmp_path / "bare.mp4"
    assert main([*common, "--out", str(out), "--no-watermark", "--no-credentials", "--no-audio-mark"]) == 0
    err = capsys.readouterr().err
    assert "the invisible watermark, the audio mark and the C2PA manifest switched off" in err and "responsible" in err
    assert read_manifest(out).state == "absent" and not read_video(out).found
    assert not audio_mark.read_video(out).found
    assert main(["check", str(out)]) == 0
    assert ("not declared generated | C2PA absent | watermark not found (z " in (line := capsys.readouterr().out)
            and "| audio mark not found (z " in line)
    # the frame mark off alone: the speech keeps the run id
    only = tmp_path / "audio_only.mp4"
    assert main([*common, "--out", str(only), "--no-watermark", "--no-credentials"]) == 0
    assert "the invisible watermark and the C2PA manifest switched off" in capsys.readouterr().err
    r = audio_mark.read_video(only)
    assert r.found and r.run_id == checkpoint_sha256(run / "checkpoint.pt")[:8] and not read_video(only).found
    assert main(["check", str(only)]) == 0  # the speech alone declares it
    assert "AI-generated (declared by audio_mark) | C2PA absent | watermark not found" in capsys.readouterr().out


def _user_chain(tmp_path):
    """A user's RSA (PS256) signing chain, made here with `cryptography` (not with the code under test)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    nm = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # noqa: E731
    ca_key, key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    ku = dict(content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
              encipher_only=False, decipher_only=False)
    ca = (x509.CertificateBuilder().subject_name(nm("Lab CA")).issuer_name(nm("Lab CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **ku), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(nm("Lab signer")).issuer_name(nm("Lab CA"))
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **ku),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp_path / "chain.pem").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return tmp_path / "chain.pem", tmp_path / "key.pem"


@pytest.mark.slow
def test_the_users_certificate_signs_and_bad_ones_are_one_line_errors(run, short_speech, tiny_clip, tmp_path,
                                                                      stableface_error, run_cli):
    from msi.provenance.manifest import read_manifest

    chain, key = _user_chain(tmp_path)
    out = tmp_path / "signed.mp4"
    common = ["synthesize", str(run), "--audio", str(short_speech), "--background", str(tiny_clip), "--quiet"]
    assert main([*common, "--out", str(out), "--sign-cert", str(chain), "--sign-key", str(key)]) == 0
    r = read_manifest(out)
    assert r.state == "valid" and r.signer == "Lab signer" and r.generated
    (tmp_path / "junk.pem").write_text("not a key")
    for extra, needle in ((["--sign-cert", str(chain)], "give both --sign-cert and --sign-key"),
                          (["--sign-cert", str(chain), "--sign-key", str(tmp_path / "junk.pem")],
                           "not an unencrypted PEM private key")):
        code, _, err = run_cli([*common, "--out", str(tmp_path / "x.mp4"), *extra], main=main)
        stableface_error(code, err, needle)
    assert not (tmp_path / "x.mp4").exists()
