"""What a study asks and in which order: questions, grades, items, and each rater's plan.

Two designs, as in StableFace's user studies (Ling et al., arXiv:2208.13717, Sec. IV):

* **ACR** (absolute category rating, ITU-T P.910 / P.913): one video at a time, graded on each
  question from 5 (Very Good) to 1 (Very Poor); the mean over raters is the MOS (Table III).
* **Pair** (paired comparison, ITU-T P.910 "PC"): two versions of one utterance side by side,
  sides drawn at random per rater and presentation, answered "left", "right" or "no preference"
  per question (Fig. 8/9).

A rater's *plan* is the list of presentations they see, in order: a practice round that does not
count, then the items in a seeded random order in which no two presentations of the same utterance
follow each other where the items allow it, with hidden repeats (the rater's consistency) and
attention items (a known answer: a clip shaken frame by frame must look unstable) placed among
them. Pure functions of the item list and a seed: the page (offline) and the server (online) see
the same plan for the same rater.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded where a plan is drawn: `msi study serve` starts without it
    import numpy as np

#: The paper's three questions (Sec. IV-C), as ACR statements and as pair questions.
QUESTIONS: dict[str, dict[str, str]] = {
    "motion_stability": {
        "title": "Motion stability",
        "acr": "Are the motions around the lips and jaw stable across frames?",
        "pair": "In which video are the motions around the lips and jaw more stable across frames?",
    },
    "lip_sync": {
        "title": "Lip sync",
        "acr": "How does the motion of the lips match the speech in lip-audio accuracy?",
        "pair": "In which video does the motion of the lips match the speech better?",
    },
    "realness": {
        "title": "Realness",
        "acr": "Does the video look real in your mind?",
        "pair": "Which video looks more real?",
    },
}
#: The five-grade scale of the paper (P.910's ACR labels).
GRADES: tuple[tuple[int, str], ...] = ((5, "Very Good"), (4, "Good"), (3, "Fair"), (2, "Poor"), (1, "Very Poor"))
#: Pair answers: the left video (``a``), the right one (``b``), or no preference.
CHOICES = ("a", "b", "none")
DESIGNS = ("acr", "pair", "dcr", "ccr")
#: Designs graded against a reference video shown beside the method's (ITU-T P.910 DCR and CCR).
REFERENCED = ("dcr", "ccr")
#: Their scales: DCR's five-grade impairment scale; CCR's seven grades of the method's video
#: against the reference (P.910 Annex B).
SCALES: dict[str, tuple[tuple[int, str], ...]] = {
    "dcr": ((5, "Imperceptible"), (4, "Perceptible but not annoying"), (3, "Slightly annoying"), (2, "Annoying"),
            (1, "Very annoying")),
    "ccr": ((3, "Much better"), (2, "Better"), (1, "Slightly better"), (0, "About the same"), (-1, "Slightly worse"),
            (-2, "Worse"), (-3, "Much worse")),
}
#: Presentation kinds; only ``main`` answers count towards MOS and preferences.
KINDS = ("practice", "main", "repeat", "attention")
#: The method name of an attention item's shaken copy.
CHECK_METHOD = "check"
#: An attention copy is expected to look unstable: at most this grade on motion stability.
ATTENTION_MAX_GRADE = 2
#: The grade a trapping clip's on-screen instruction asks for ("select 1 for this one").
TRAP_GRADE = 1
#: What a gold practice clip (a shaken copy) says after it is answered.
GOLD_FEEDBACK = ("This clip was shaken on purpose: its motion stability is Poor or Very Poor (1 or 2). "
                 "Look for this kind of jitter in the videos that follow.")
#: Smallest number of presentations between an item and its hidden repeat.
REPEAT_GAP = 3


def acr_item(method: str, utterance: str, video: str, attention: bool = False) -> dict:
    """One ACR item: a video graded on every question. An attention item's known answer is
    "motion stability at most :data:`ATTENTION_MAX_GRADE`" (its video is a shaken copy)."""
    item = {"id": f"acr:{method}:{utterance}", "type": "acr", "method": method, "utterance": utterance, "video": video}
    if attention:
        item["expect"] = {"question": "motion_stability", "max_grade": ATTENTION_MAX_GRADE}
    return item


def reference_item(design: str, method: str, utterance: str, video: str, reference: str) -> dict:
    """One DCR or CCR item: ``method``'s video of ``utterance`` graded against the reference video
    shown beside it (DCR: the reference on the left; CCR: sides drawn per presentation)."""
    return {"id": f"{design}:{method}:{utterance}", "type": design, "method": method, "utterance": utterance,
            "video": video, "reference": reference}


def trap_item(method: str, utterance: str, video: str, question: str) -> dict:
    """A trapping clip (ITU-T P.910 crowdsourcing toolkit): an ordinary video with an on-screen
    instruction to give :data:`TRAP_GRADE` on ``question``, whatever it looks like; a rater who
    does not read it fails it (an attention item: ``expect`` ``=1``)."""
    return {"id": f"acr:trap:{method}:{utterance}", "type": "acr", "method": method, "utterance": utterance,
            "video": video, "expect": {"question": question, "grade": TRAP_GRADE},
            "instruction": f"Attention check: for this video, select {TRAP_GRADE} for "
                           f"\"{QUESTIONS[question]['title']}\", whatever you see."}


def gold_item(utterance: str, video: str) -> dict:
    """A gold clip of the practice round: a shaken copy whose motion stability is known to be at
    most :data:`ATTENTION_MAX_GRADE`; the page says whether the answer was right, and why
    (:data:`GOLD_FEEDBACK`). Practice: never counted."""
    return {**acr_item(CHECK_METHOD, utterance, video, attention=True), "id": f"acr:gold:{utterance}",
            "gold": True, "feedback": GOLD_FEEDBACK}


def pair_item(a: str, b: str, utterance: str, video_a: str, video_b: str, expect: str | None = None) -> dict:
    """One pair item: methods ``a`` and ``b`` of one utterance (sides are drawn per presentation).
    An attention item expects method ``expect`` to be preferred on motion stability."""
    item = {"id": f"pair:{a}:{b}:{utterance}", "type": "pair", "a": a, "b": b, "utterance": utterance,
            "video_a": video_a, "video_b": video_b}
    if expect is not None:
        item["expect"] = {"question": "motion_stability", "choice": expect}
    return item


def spread(items: Sequence[dict], rng: np.random.Generator, key: Callable[[dict], str]) -> list[dict]:
    """A random order of ``items`` in which no two neighbours share ``key`` where that is possible.

    Randomised greedy: at each step, among the items whose key differs from the last one placed,
    take one of a key with the most items left (ties at random). Placing the most frequent key
    first is what keeps the rest arrangeable (the classic rearrangement argument): it fails only
    when one key holds more than half the items, and then as few neighbours as possible share it.
    """
    pool = [items[i] for i in rng.permutation(len(items))]
    out: list[dict] = []
    while pool:
        left = Counter(key(x) for x in pool)
        ok = [i for i, x in enumerate(pool) if not out or key(x) != key(out[-1])] or list(range(len(pool)))
        most = max(left[key(pool[i])] for i in ok)
        best = [i for i in ok if left[key(pool[i])] == most]
        out.append(pool.pop(best[int(rng.integers(len(best)))]))
    return out


def _insert(order: list[dict], entry: dict, rng: np.random.Generator, earliest: int, key: Callable[[dict], str]) -> None:
    """Insert ``entry`` at a random position >= ``earliest``, between neighbours of another key when possible."""
    positions = list(range(max(1, min(earliest, len(order))), len(order) + 1)) or [len(order)]
    fine = [p for p in positions
            if (p == 0 or key(order[p - 1]) != key(entry)) and (p == len(order) or key(order[p]) != key(entry))]
    pick = fine or positions
    order.insert(pick[int(rng.integers(len(pick)))], entry)


def block_plan(main: Sequence[dict], attention: Sequence[dict], rng: np.random.Generator,
               repeats: int, practice: int, avoid: str | None = None, gold: Sequence[dict] = ()) -> list[dict]:
    """The presentations of one design's block: ``practice`` items that do not count, then the
    ``main`` items spread by utterance, ``repeats`` of them shown a second time at least
    :data:`REPEAT_GAP` presentations later, and the ``attention`` items at random places.
    Each entry: ``{"item": id, "kind": ..., "swap": bool}`` (swap: a pair's b video on the left).
    ``avoid``: the utterance just before the block (the previous block's last); ``gold``: practice
    items with a known answer, shown first."""
    def key(e: dict) -> str:
        return e["utterance"]

    body = [{"item": it["id"], "utterance": it["utterance"], "kind": "main"} for it in spread(main, rng, lambda x: x["utterance"])]
    early = [i for i in range(len(body)) if i + REPEAT_GAP < len(body)] or list(range(len(body)))
    chosen = rng.choice(early, size=min(repeats, len(early)), replace=False) if early else []
    for i in sorted((int(c) for c in chosen), key=lambda c: body[c]["item"]):
        first = next(k for k, e in enumerate(body) if e["item"] == body[i]["item"] and e["kind"] == "main")
        _insert(body, {**body[i], "kind": "repeat"}, rng, first + REPEAT_GAP + 1, key)
    for it in attention:
        _insert(body, {"item": it["id"], "utterance": it["utterance"], "kind": "attention"}, rng, 1, key)
    # practice items: where possible of another utterance than their neighbours (the previous
    # block's last presentation, each other, the first counted one)
    warm: list[dict] = []
    for k in range(min(practice, len(main))):
        after = warm[-1]["utterance"] if warm else avoid
        before = body[0]["utterance"] if body and k == min(practice, len(main)) - 1 else None
        left = [it for it in main if it not in warm]
        fine = [it for it in left if it["utterance"] not in (after, before)] or left
        warm.append(fine[int(rng.integers(len(fine)))])
    plan = [{"item": it["id"], "utterance": it["utterance"], "kind": "practice"} for it in [*gold, *warm]] + body
    return [{"item": e["item"], "utterance": e["utterance"], "kind": e["kind"], "swap": bool(rng.integers(2))}
            for e in plan]


def rater_plan(items: Sequence[dict], seed: int, rater_index: int, repeats: int = 2, practice: int = 1,
               designs: Sequence[str] = DESIGNS) -> list[dict]:
    """Rater ``rater_index``'s plan: one block per design in ``designs`` order, each as
    :func:`block_plan`, numbered by ``seq`` (0, 1, ...). Seeded by ``(seed, rater_index)``: the same
    rater always sees the same plan, and no two raters the same order."""
    import numpy as np

    rng = np.random.default_rng([int(seed), int(rater_index)])
    plan: list[dict] = []
    for design in designs:
        of_type = [it for it in items if it["type"] == design]
        main = [it for it in of_type if "expect" not in it]
        attention = [it for it in of_type if "expect" in it and not it.get("gold")]
        gold = [it for it in of_type if it.get("gold")]
        plan += block_plan(main, attention, rng, repeats, practice, plan[-1]["utterance"] if plan else None, gold)
    return [{"seq": k, "item": e["item"], "kind": e["kind"], "swap": e["swap"]} for k, e in enumerate(plan)]


def rater_name(index: int) -> str:
    """The rater code of session ``index`` (0-based): ``r01``, ``r02``, ..."""
    return f"r{index + 1:02d}"


#: The annotation guideline shown before the practice round (``msi study make --guideline`` replaces it).
GUIDELINE: tuple[str, ...] = (
    "You will watch short videos of a talking face and answer a few questions about each. "
    "There are no right or wrong answers: we want your own impression.",
    "Motion stability: look at the lips and the jaw. Stable motion is smooth from frame to frame; "
    "unstable motion jitters, shakes or jumps.",
    "Lip sync: listen to the speech (use headphones if you can) and judge whether the lips move with it.",
    "Realness: does the face look like a real recording of a person?",
    "Each video must play to its end before you can answer; you may play it again. "
    "A short practice round comes first and does not count.",
)
