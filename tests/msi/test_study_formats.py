"""Answers from other tools (msi.study.formats): each committed sample file of docs/study/formats
read, its numbers checked against the raw file parsed here with the csv module (not the code
under test), and broken or ambiguous files refused in one line naming the file, row and column."""
from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from msi.study.analysis import mos_table, preference_table, screen
from msi.study.answers import BadAnswers
from msi.study.formats import read

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "study" / "formats"


def raw(name: str) -> list[dict]:
    with open(SAMPLES / name, newline="") as f:
        return list(csv.DictReader(f))


def mos_of(table, method: str, question: str) -> float:
    return float(table.set_index(["method", "question"]).loc[(method, question), "mos"])


def test_minimal_five_column_acr_file():
    rows = raw("acr.csv")
    assert list(rows[0]) == ["rater", "method", "utterance", "question", "grade"]
    got = read(SAMPLES / "acr.csv")
    assert got.format == "tidy" and len(got.answers) == len(rows) == 6 * 2 * 2 * 3
    assert any("no 'kind' column" in n for n in got.notes) and any("no attention screening" in n for n in got.notes)
    mos = mos_table(got.answers)
    for m in ("real", "ours"):
        for q in ("motion_stability", "lip_sync", "realness"):
            g = [int(r["grade"]) for r in rows if r["method"] == m and r["question"] == q]
            assert mos_of(mos, m, q) == pytest.approx(np.mean(g), abs=1e-12)


def test_minimal_six_column_pair_file_over_five_methods():
    rows = raw("pair.csv")
    assert list(rows[0]) == ["rater", "utterance", "question", "a", "b", "choice"]
    got = read(SAMPLES / "pair.csv")
    assert len({r["a"] for r in rows} | {r["b"] for r in rows}) == 5
    pref = preference_table(got.answers)
    assert len(pref) == 10  # every pair of five
    for p in pref.itertuples():  # wins counted here from the raw rows: the chosen side's method
        won = defaultdict(int)
        for r in rows:
            if {r["a"], r["b"]} == {p.a, p.b}:
                won[r[r["choice"]]] += 1
        assert (p.wins_a, p.wins_b) == (won[p.a], won[p.b])


def test_wide_file_one_column_per_question():
    rows = raw("wide.csv")
    got = read(SAMPLES / "wide.csv")
    assert got.format == "wide" and len(got.answers) == 3 * len(rows)
    mos = mos_table(got.answers)
    assert mos_of(mos, "ours", "lip_sync") == pytest.approx(np.mean([int(r["lip_sync"]) for r in rows
                                                                      if r["method"] == "ours"]))


def test_avrateng_ratings_csv_and_database(tmp_path):
    rows = raw("avrate_ratings.csv")
    grades = [r for r in rows if r["rating_type"] == "acr"]
    got = read(SAMPLES / "avrate_ratings.csv", question="motion_stability")
    assert got.format == "avrate" and len(got.answers) == len(grades) == 16
    assert any("not answers" in n and "pi" in n for n in got.notes)
    mos = mos_table(got.answers)
    assert mos_of(mos, "real", "motion_stability") == pytest.approx(
        np.mean([int(r["rating"]) for r in grades if "/real/" in r["stimuli_file"]]))
    # the tool's own SQLite database (its ratings table, as avrateNG.py creates it) reads the same
    db = tmp_path / "ratings.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE ratings (user_ID INTEGER, stimuli_ID TEXT, stimuli_file TEXT, rating_type TEXT, "
                    "rating TEXT, timestamp TEXT)")
        con.executemany("INSERT INTO ratings VALUES (?,?,?,?,?,?)",
                        [(int(r["user_ID"]), r["stimuli_ID"], r["stimuli_file"], r["rating_type"], r["rating"],
                          r["timestamp"]) for r in rows])
    from_db = read(db, question="motion_stability")
    assert from_db.answers[["rater", "item", "grade"]].equals(got.answers[["rater", "item", "grade"]])


def test_p910_toolkit_answers_with_trapping_gold_and_unplayed_videos():
    rows = raw("p910_answers.csv")
    got = read(SAMPLES / "p910_answers.csv")
    df = got.answers
    assert got.format == "p910" and (df["type"] == "acr").all()
    # by hand from the raw sessions: every vote whose video played to its end, trap and gold as attention rows
    votes, traps = [], 0
    for r in rows:
        for k in range(1, 7):
            if r[f"Answer.video_n_finish_Q{k}"] == "0":
                continue
            url = r[f"Answer.Q{k}_URL"]
            traps += url in (r["Input.TP_CLIP"], r["Input.GOLD_CLIP"])
            if url not in (r["Input.TP_CLIP"], r["Input.GOLD_CLIP"]):
                votes.append((r["WorkerId"], url.split("/")[-2], int(r[f"Answer.Q{k}"])))
    assert (df["kind"] == "main").sum() == len(votes) and (df["kind"] == "attention").sum() == traps
    assert any("did not play to its end" in n for n in got.notes)
    assert mos_of(mos_table(df), "ours", "quality") == pytest.approx(np.mean([v for _, m, v in votes if m == "ours"]))
    # the straightliner A4 answered 4 to the trap that asks for 2: counted as a failed attention item
    s = screen(df, panel="none").set_index("rater")
    assert s.loc["A4W0RKER", "attention_failed"] == 1 and s.loc["A4W0RKER", "excluded"]
    assert s.loc["A1W0RKER", "attention_failed"] == 0


def test_p910_votes_per_worker():
    rows = raw("p910_votes_per_worker.csv")
    got = read(SAMPLES / "p910_votes_per_worker.csv")
    assert got.format == "p910-votes" and len(got.answers) == len(rows)
    assert mos_of(mos_table(got.answers), "real", "quality") == pytest.approx(
        np.mean([int(r["vote"]) for r in rows if "/real/" in r["file"]]))


def test_clip_pattern_names_methods_and_utterances(tmp_path):
    f = tmp_path / "votes.csv"
    f.write_text("HITId,workerid,file,vote\nH1,W1,https://x/D501_C03_S02.mp4,4\nH1,W2,https://x/D501_C07_S02.mp4,2\n")
    got = read(f, clip_pattern=r"_C(?P<method>\d+)_(?P<utterance>S\d+)")
    assert sorted(got.answers["method"]) == ["03", "07"] and set(got.answers["utterance"]) == {"S02"}


@pytest.mark.parametrize("text, message", [
    ("rater,method,utterance,question,grade\np1,a,u1,q,4\np1,a,u2,q,6\n", "row 2, column 'grade': '6' is not a grade"),
    ("rater,method,utterance,question,grade,a,b,choice\np1,x,u1,q,4,,,\np1,,u1,q,3,x,y,a\n",
     "row 2, column 'choice': both a grade and a choice"),
    ("rater,utterance,question,a,b,choice\np1,u1,q,x,y,left\np1,u1,q,x,z,maybe\n",
     "row 2, column 'choice': 'maybe' is not a, b, none"),
    ("rater,method,utterance,motion_stability,age\np1,real,u1,4,34\n", "row 1, column 'age': '34' is not a grade"),
    ("rater,method,utterance,motion_stability\np1,real,u1,4\np2,real,u1,\n", "row 2, column 'motion_stability': no grade"),
    ("user_ID,stimuli_ID,stimuli_file,rating_type,rating,timestamp\n1,0,v/a/u.mkv,acr,4,t\n1,1,v/a/w.mkv,range_7point_slider,6,t\n",
     "row 2, column 'rating_type': 'range_7point_slider' is not a five-grade ACR answer"),
    ("WorkerId,Answer.Q1,Answer.Q1_URL,Answer.video_n_finish_Q1\nW1,4,v/a/u.mp4,1\nW2,3,v/a/u.mp4,yes\n",
     "row 2, column 'Answer.video_n_finish_Q1': 'yes' is not a count of plays"),
    ("WorkerId,Answer.Q1,Answer.Q1_URL\nW1,4,\n", "row 1, column 'Answer.Q1_URL': a vote without its clip"),
    ("foo,bar\n1,2\n", "not a known answers format"),
])
def test_a_broken_or_ambiguous_file_is_one_line_naming_row_and_column(tmp_path, text, message):
    f = tmp_path / "answers.csv"
    f.write_text(text)
    with pytest.raises(BadAnswers, match=message) as e:
        read(f)
    assert str(e.value).startswith(f"{f}: ") and "\n" not in str(e.value)


@pytest.mark.slow  # the whole analysis: imports pingouin and matplotlib (seconds)
def test_analyze_reads_a_minimal_file_from_the_command_line(tmp_path, run_cli, one_line_error):
    code, out, err = run_cli(["study", "analyze", SAMPLES / "acr.csv", "--out", tmp_path / "r", "--panel", "none"])
    assert code == 0, err
    assert "msi: note:" in err and "no attention screening" in err
    assert "| ours |" in out and (tmp_path / "r" / "mos.csv").is_file()
    # the minimal six-column pair file over five methods: analysed into a scale with its table and figure
    code, out, err = run_cli(["study", "analyze", SAMPLES / "pair.csv", "--out", tmp_path / "p", "--resamples", "200"])
    assert code == 0, err
    assert "## Ranking" in out and "Thurstone (JOD)" in out
    code, out, err = run_cli(["study", "analyze", SAMPLES / "pair.csv", "--out", tmp_path / "j", "--resamples", "50",
                              "--json"])
    scale = json.loads(out)["scale"]
    assert code == 0 and {r["method"] for r in scale} == {"real", "ours", "base", "wobbly", "shaken"}
    for name in ("scale.csv", "win_probability.csv", "ranking.png", "ranking.tex"):
        assert (tmp_path / "p" / name).stat().st_size > 0, name
    bad = tmp_path / "bad.csv"
    bad.write_text("rater,method,utterance,question,grade\np1,a,u1,q,x\n")
    code, out, err = run_cli(["study", "analyze", bad, "--out", tmp_path / "r2"])
    one_line_error(code, err, "bad.csv: row 1, column 'grade'", alone=True)
