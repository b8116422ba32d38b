"""WER (LipNet-PyTorch's lip reader), checked in the three parts that can be checked without
shipping or copying that code: the checkpoint's parameter names and shapes (facts read from the
reference repository), the mouth crop and the CTC decoding on hand-made cases, and the WER on a
hand-checked example. The forward pass itself has no executed oracle (no package carries
LipNet-PyTorch); the column runs end to end with random weights in the official format."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

#: The state dict ``torch.save(model.state_dict())`` writes in LipNet-PyTorch's ``main.py``
#: (VIPL-Audio-Visual-Speech-Understanding/LipNet-PyTorch, commit 40209e09c495, ``model.py``):
#: ``conv1 = nn.Conv3d(3, 32, (3, 5, 5), (1, 2, 2), (1, 2, 2))``, ``conv2 = nn.Conv3d(32, 64,
#: (3, 5, 5), ...)``, ``conv3 = nn.Conv3d(64, 96, (3, 3, 3), ...)``, ``gru1 = nn.GRU(96*4*8, 256,
#: 1, bidirectional=True)``, ``gru2 = nn.GRU(512, 256, 1, bidirectional=True)``, ``FC =
#: nn.Linear(512, 27+1)``; pools and dropouts hold no parameters. A GRU's gates stack 3 x 256 rows.
LIPNET_PYTORCH_STATE = {
    "conv1.weight": (32, 3, 3, 5, 5), "conv1.bias": (32,),
    "conv2.weight": (64, 32, 3, 5, 5), "conv2.bias": (64,),
    "conv3.weight": (96, 64, 3, 3, 3), "conv3.bias": (96,),
    **{f"gru1.{n}{s}": shape for s in ("", "_reverse") for n, shape in
       (("weight_ih_l0", (768, 3072)), ("weight_hh_l0", (768, 256)), ("bias_ih_l0", (768,)), ("bias_hh_l0", (768,)))},
    **{f"gru2.{n}{s}": shape for s in ("", "_reverse") for n, shape in
       (("weight_ih_l0", (768, 512)), ("weight_hh_l0", (768, 256)), ("bias_ih_l0", (768,)), ("bias_hh_l0", (768,)))},
    "FC.weight": (28, 512), "FC.bias": (28,),
}
#: That repository's ``MyDataset.letters`` (class 1 + i; class 0 is the CTC blank).
LETTERS = [' ', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T',
           'U', 'V', 'W', 'X', 'Y', 'Z']


def official_state(seed: int = 0) -> dict:
    """Random tensors under exactly the official names and shapes (small values: the GRUs stay
    out of saturation)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(*s, generator=g) * 0.05 for k, s in LIPNET_PYTORCH_STATE.items()}


@pytest.fixture(scope="module")
def lipnet_file(tmp_path_factory):
    import torch

    p = tmp_path_factory.mktemp("lipnet") / "LipNet_unseen_random.pt"
    torch.save(official_state(), p)
    return p


@pytest.mark.slow
def test_loader_accepts_exactly_the_official_names_and_shapes(lipnet_file, tmp_path):
    import torch

    from msi.errors import BadWeights
    from msi.metrics.wer import VOCABULARY
    from msi.networks.lipnet import LipNet, load_lipnet

    assert {k: tuple(v.shape) for k, v in LipNet().state_dict().items()} == LIPNET_PYTORCH_STATE
    assert list(VOCABULARY) == LETTERS
    net = load_lipnet(lipnet_file)
    assert torch.equal(net.FC.bias, torch.load(lipnet_file, weights_only=True)["FC.bias"])
    state = official_state()
    cases = {
        "missing": ({k: v for k, v in state.items() if k != "gru2.bias_hh_l0_reverse"}, "1 parameters missing"),
        "extra": ({**state, "FC2.weight": torch.zeros(1)}, "unexpected FC2.weight"),
        "shape": ({**state, "FC.weight": torch.zeros(29, 512)}, r"FC.weight has shape \(29, 512\), expected \(28, 512\)"),
        "prefixed": ({f"module.{k}": v for k, v in state.items()}, "24 parameters missing"),  # DataParallel's keys
        "nan": ({**state, "conv1.bias": torch.full((32,), float("nan"))}, "conv1.bias is not finite"),
        "lpips": ({f"lin{k}.model.1.weight": torch.zeros(1, 64, 1, 1) for k in range(5)},
                  "looks like LPIPS linear layers"),
    }
    for name, (bad, message) in cases.items():
        p = tmp_path / f"{name}.pt"
        torch.save(bad, p)
        with pytest.raises(BadWeights, match=message):
            load_lipnet(p)
    (tmp_path / "text.pt").write_text("not a checkpoint")
    with pytest.raises(BadWeights, match="not a readable PyTorch state dict"):
        load_lipnet(tmp_path / "text.pt")


def test_forward_shapes(lipnet_file):
    """Shapes only (no oracle): 75 GRID frames of 64 x 128 crops -> 75 x 28 scores."""
    from msi.networks.lipnet import load_lipnet, read_lips

    scores = read_lips(load_lipnet(lipnet_file), np.zeros((75, 64, 128, 3), np.uint8))
    assert scores.shape == (75, 28) and np.isfinite(scores).all()


# ----------------------------------------------------------------------------- the crop


def test_procrustes_recovers_a_known_similarity():
    from msi.metrics.wer import TEMPLATE, procrustes

    # the template itself: the identity
    assert np.allclose(procrustes(TEMPLATE, TEMPLATE), [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    # a face 1.7x the template, turned 30 degrees and moved: the transform is that one's inverse
    a = math.radians(30)
    r = 1.7 * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    face = TEMPLATE @ r.T + [40.0, -12.0]
    m = procrustes(face, TEMPLATE)
    assert np.allclose(face @ m[:, :2].T + m[:, 2], TEMPLATE, atol=1e-9)
    assert np.allclose(m[:, :2], np.linalg.inv(r), atol=1e-12)


def test_mouth_crop_cuts_lipnets_box():
    """LipNet-PyTorch's box on the 256 x 256 canvas: centre = int(mean of the template's 20 mouth
    points) = (126, 179), 160 x 80 around it: x 46..205, y 139..218. A frame white exactly there
    (and black elsewhere) gives a white crop when the landmarks are the template; with the face
    drawn at twice the size and moved, the crop follows it; one pixel off, a black edge shows."""
    from msi.metrics.wer import TEMPLATE, mouth_crop

    x, y = TEMPLATE[-20:].mean(0).astype(int)
    assert (x, y) == (126, 179)
    frame = np.zeros((256, 256, 3), np.uint8)
    frame[139:219, 46:206] = 255
    crop = mouth_crop(frame, TEMPLATE)
    assert crop.shape == (64, 128, 3) and (crop == 255).all()
    big = np.zeros((600, 700, 3), np.uint8)
    big[2 * 139 + 20:2 * 219 + 20, 2 * 46 + 10:2 * 206 + 10] = 255
    crop = mouth_crop(big, 2 * TEMPLATE + [10, 20])
    assert (crop == 255).all()
    frame[139:219, 46] = 0  # the box's first column
    assert crop.shape == mouth_crop(frame, TEMPLATE).shape and (mouth_crop(frame, TEMPLATE)[:, 0] < 128).all()


@pytest.mark.slow
def test_mediapipe_points_map_onto_the_ibug_layout():
    """The 51 MediaPipe points stand where the template's stand: mapping a tracked carphone frame
    onto the template leaves a small residual (a few canvas pixels, as between two faces)."""
    from msi.metrics.wer import MP_IBUG51, TEMPLATE, procrustes

    assert len(MP_IBUG51) == 51 == len(set(MP_IBUG51))
    from msi.io.samples import sample_path
    from msi.acquire import get_landmarks
    from msi.settings import Settings

    lm = get_landmarks(sample_path("carphone_pristine.mp4"), Settings(), cache=True).landmarks
    pts = lm[0][list(MP_IBUG51), :2]
    m = procrustes(pts, TEMPLATE)
    residual = np.linalg.norm(pts @ m[:, :2].T + m[:, 2] - TEMPLATE, axis=1)
    assert residual.mean() < 8, residual.mean()


# ----------------------------------------------------------------------------- decoding and WER


def scores_for(path: list[int]) -> np.ndarray:
    s = np.zeros((len(path), 28))
    s[np.arange(len(path)), path] = 1.0
    return s


def test_ctc_greedy_on_hand_made_paths():
    from msi.metrics.wer import ctc_greedy

    # 3 = 'B': repeats merge, a blank (0) between two B's keeps both; 1 = space, 2 = 'A'
    assert ctc_greedy(scores_for([0, 3, 3, 0, 3, 1, 1, 2, 0])) == "BB A"
    assert ctc_greedy(scores_for([1, 0, 1, 2, 1, 0, 1, 3, 1])) == "A B"  # double spaces merge, ends stripped
    assert ctc_greedy(scores_for([0, 0, 0])) == ""
    # "BIN" = B I N = 3 10 15 with blanks and repeats
    assert ctc_greedy(scores_for([3, 3, 0, 10, 0, 15, 15, 1, 2, 21])) == "BIN AT"


def test_wer_on_a_hand_checked_example():
    from msi.metrics.wer import edit_distance, normalise_transcript, wer

    # GRID sentence, hand-aligned: BIN BLUE AT | F deleted | TWO NOW | PLEASE inserted: 2 of 6 words
    assert wer("BIN BLUE AT TWO NOW PLEASE", "BIN BLUE AT F TWO NOW") == pytest.approx(2 / 6)
    # two substitutions (IN -> WITH, SOON -> AGAIN)
    assert wer("PLACE RED WITH A ZERO AGAIN", "PLACE RED IN A ZERO SOON") == pytest.approx(2 / 6)
    assert wer("", "SET WHITE") == 1.0 and wer("A B C D", "A") == 3.0
    assert math.isnan(wer("A", ""))
    assert edit_distance("kitten", "sitting") == 3
    assert normalise_transcript("  bin blue, at F-two   now!\n") == "BIN BLUE AT FTWO NOW"


def test_transcripts_csv_folder_sidecars_and_strays(tmp_path):
    from msi.errors import UsageError
    from msi.metrics.wer import find_transcript, read_transcripts, unmatched_transcripts

    (tmp_path / "m" / "s1").mkdir(parents=True)
    video = tmp_path / "m" / "s1" / "bbaf2n.mp4"
    csv = tmp_path / "t.csv"
    csv.write_text("name,transcript\ns1/bbaf2n,bin blue at f two now\nghost,set white\n")
    assert find_transcript(str(video), None, str(csv)) == "BIN BLUE AT F TWO NOW"
    assert unmatched_transcripts(str(csv), ["s1/bbaf2n"]) == ["ghost"]
    (tmp_path / "m" / "s1" / "bbaf2n.align").write_text("0 23750 sil\n23750 29500 bin\n29500 34000 blue\n"
                                                         "34000 35500 sp\n35500 41000 at\n")
    assert find_transcript(str(video), None, None) == "BIN BLUE AT"  # GRID's .align beside the video
    assert find_transcript(str(tmp_path / "other.mp4"), str(video), None) == "BIN BLUE AT"  # beside the truth
    assert find_transcript(str(tmp_path / "other.mp4"), None, None) is None
    folder = tmp_path / "texts" / "s1"
    folder.mkdir(parents=True)
    (folder / "bbaf2n.txt").write_text("lay green")
    assert read_transcripts(str(tmp_path / "texts")) == {"s1/bbaf2n": "LAY GREEN"}
    (tmp_path / "bad.csv").write_text("video,text\na,b\n")
    with pytest.raises(UsageError, match="needs the columns name,transcript"):
        read_transcripts(str(tmp_path / "bad.csv"))


@pytest.mark.slow
def test_wer_column_through_msi_compare(lipnet_file, pristine_frames, tmp_path, run_cli, one_line_error):
    """Random official-format weights end to end: a video with a transcript gets a WER, one without
    gets a warning and an empty cell, a transcript for a video that is not there is named; bad or
    wrong-network weights stop the run before any video, in one line."""
    import torch

    from msi.io.video import write_video

    for name in ("a", "b"):
        write_video(tmp_path / "m" / f"{name}.mp4", pristine_frames[:20], fps=25, threads=1)
    csv = tmp_path / "t.csv"
    csv.write_text("name,transcript\na,bin blue at f two now\nghost,set white\n")
    code, out, err = run_cli(["compare", f"m={tmp_path / 'm'}", "--lipnet-weights", lipnet_file,
                              "--transcripts", csv, "--out", tmp_path / "rows.json"])
    assert code == 0, err
    assert "1 transcript(s) match no video: ghost" in err
    assert "b.mp4: WER: no transcript" in err
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in json.loads((tmp_path / "rows.json").read_text())}
    assert rows["a.mp4"]["wer"] >= 0 and rows["b.mp4"]["wer"] is None
    assert "WER (LipNet)" in out
    wrong = tmp_path / "lin.pth"
    torch.save({f"lin{k}.model.1.weight": torch.zeros(1, 64, 1, 1) for k in range(5)}, wrong)
    code, out, err = run_cli(["compare", f"m={tmp_path / 'm'}", "--lipnet-weights", wrong])
    one_line_error(code, err, "not LipNet-PyTorch's LipNet state dict", "looks like LPIPS linear layers", exit_code=1,
                   alone=True)
    code, out, err = run_cli(["compare", f"m={tmp_path / 'm'}", "--lipnet-weights", lipnet_file,
                              "--transcripts", tmp_path / "nope.csv"])
    one_line_error(code, err, "no such transcripts file or folder", exit_code=2, alone=True)
