"""Write the sample answers files of docs/study.md ("Answers from other tools"), one per format
that ``msi study analyze`` reads, into docs/study/formats/.

THE RATERS ARE SIMULATED: seeded draws from a latent quality per method plus noise. The files
show the formats' layouts (read from avrateNG's and the P.910 toolkit's sources); nothing in them
is evidence about people or methods.

    python docs/study_formats.py
"""
from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
from scipy.stats import norm

OUT = Path(__file__).resolve().parent / "study" / "formats"
QUESTIONS = ["motion_stability", "lip_sync", "realness"]
#: Latent grades (1-5) of two methods for the ACR samples, and a latent scale (JOD) of five for the pair one.
ACR_TRUTH = {"real": 4.3, "ours": 3.4}
RANK_TRUTH = {"real": 1.5, "ours": 0.8, "base": 0.0, "wobbly": -0.9, "shaken": -1.8}


def grade(rng: np.random.Generator, mean: float) -> int:
    return int(np.clip(np.rint(mean + rng.normal(0, 0.7)), 1, 5))


def write(name: str, header: list[str], rows: list[list]) -> None:
    with open(OUT / name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(49)
    utts = ["u1", "u2"]
    # minimal ACR: 6 raters x 2 methods x 2 utterances x 3 questions
    write("acr.csv", ["rater", "method", "utterance", "question", "grade"],
          [[f"p{r}", m, u, q, grade(rng, t - 0.3 * (q == "lip_sync"))]
           for r in range(1, 7) for u in utts for m, t in ACR_TRUTH.items() for q in QUESTIONS])
    # minimal pair: 8 raters, every pair of five methods on 2 utterances, sides at random
    rows = []
    for r in range(1, 9):
        for u in utts:
            for x, y in itertools.combinations(RANK_TRUTH, 2):
                a, b = (x, y) if rng.random() < 0.5 else (y, x)
                p = norm.cdf((RANK_TRUTH[a] - RANK_TRUTH[b]) * norm.ppf(0.75))  # Thurstone, 1 JOD = 75 %
                rows.append([f"p{r}", u, "motion_stability", a, b, "a" if rng.random() < p else "b"])
    write("pair.csv", ["rater", "utterance", "question", "a", "b", "choice"], rows)
    # wide: one column per question
    write("wide.csv", ["rater", "method", "utterance", *QUESTIONS],
          [[f"p{r}", m, u, *(grade(rng, t) for _ in QUESTIONS)] for r in range(1, 5) for u in utts
           for m, t in ACR_TRUTH.items()])
    # avrateNG: its ratings table as convert_ratings_to_csv.py writes it (_ratings.csv): a
    # registration row per user, then per stimulus one row per form field (acr, ww, wh, wz, pi, ...)
    rows, stamp = [], 0
    for user in (1, 2, 3, 4):
        rows.append([user, -1, "", "user_registered", -1, f"2026-12-01 10:{stamp:02d}:00"])
        clips = [f"./videos/{m}/{u}.mkv" for m in ACR_TRUTH for u in utts]
        for idx, clip in enumerate(rng.permutation(clips)):
            stamp += 1
            t = f"2026-12-01 10:{stamp % 60:02d}:{idx * 7 % 60:02d}"
            g = grade(rng, ACR_TRUTH[clip.split("/")[2]])
            for field, value in (("acr", g), ("ww", 1920), ("wh", 1080), ("wz", 1), ("start_timestamp", 1764583200 + stamp),
                                 ("pi", 1)):
                rows.append([user, idx, clip, field, value, t])
    write("avrate_ratings.csv", ["user_ID", "stimuli_ID", "stimuli_file", "rating_type", "rating", "timestamp"], rows)
    # P.910 toolkit (ACR): one row per session; Q1-Q5 rated clips (shuffled), a trapping clip
    # ("select 2") and a gold clip among them; one session with a video not played to its end
    base = "https://storage.example.org/study"
    clips = [f"{base}/{m}/{u}.mp4" for m in ACR_TRUTH for u in utts]
    tp, gold = f"{base}/trap/tp_select2.mp4", f"{base}/gold/real_u9.mp4"
    header = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "Input.Q1", "Input.Q2", "Input.Q3", "Input.Q4",
              "Input.TP_CLIP", "Input.TP_ANS", "Input.GOLD_CLIP", "Input.GOLD_ANS"]
    header += [f"Answer.Q{k}{s}" for k in range(1, 7) for s in ("", "_URL")]
    header += [f"Answer.video_n_finish_Q{k}" for k in range(1, 7)]
    rows = []
    for s, worker in enumerate(["A1W0RKER", "A2W0RKER", "A3W0RKER", "A4W0RKER", "A5W0RKER"]):
        shown = list(rng.permutation(clips + [tp, gold]))
        votes = [2 if c == tp else 5 if c == gold else grade(rng, ACR_TRUTH[c.split("/")[-2]]) for c in shown]
        if worker == "A4W0RKER":  # a straightliner who also misses the trap
            votes = [4] * len(shown)
        finished = [1] * len(shown)
        if worker == "A5W0RKER":
            finished[0] = 0
        rows.append([f"HIT{s}", f"ASG{s}", worker, "Submitted", *clips, tp, 2, gold, 5]
                    + [v for c, g in zip(shown, votes) for v in (g, c)] + finished)
    write("p910_answers.csv", header, rows)
    # P.910 toolkit: its parser's cleaned long table
    write("p910_votes_per_worker.csv", ["HITId", "workerid", "file", "short_file_name", "vote"],
          [[f"HIT{k}", f"A{k}W0RKER", c, c.rsplit("/", 1)[-1], grade(rng, ACR_TRUTH[c.split("/")[-2]])]
           for k in range(1, 5) for c in clips])


if __name__ == "__main__":
    main()
