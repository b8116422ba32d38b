"""Varied English sentences for the synthetic corpus.

A fixed list of hand-written sentences (phonetically varied: bilabials, rounded vowels, open
vowels, fricatives) plus a template grammar that composes thousands more. ``sentences(n, rng)``
draws ``n`` of them reproducibly from a numpy Generator.
"""
from __future__ import annotations

import numpy as np

FIXED = (
    "Peter picked a peck of pickled peppers.",
    "The blue boat floats on the quiet pool.",
    "My mother made a marvellous plum pie.",
    "Would you like to walk to the woods with me?",
    "She sells sea shells by the sea shore.",
    "How now, brown cow?",
    "A big black bug bit a big black bear.",
    "We waited a whole week for the weather to warm.",
    "Open your mouth and say ah.",
    "The rain in Spain stays mainly in the plain.",
    "Five fat frogs fly past fast.",
    "Good morning, how are you today?",
    "Please pass the butter and the bread.",
    "Our team moved through the room very smoothly.",
    "Bob bought a boombox from the market.",
    "Who knew the new zoo would open in June?",
    "Thank you for coming to the meeting.",
    "The old owl hooted over the cold moor.",
    "I think that the theory is worth a try.",
    "Mama made me mash my peas.",
    "Why would anyone wear wool in summer?",
    "Please put the papers back in the box.",
    "The children played happily in the park.",
    "A warm breeze moved over the open ocean.",
    "You should always chew your food slowly.",
    "The cat sat on the mat and watched the birds.",
    "We will meet again in the morning.",
    "The moon rose above the misty mountains.",
    "Everybody loves a good story about a brave pilot.",
    "Look at the beautiful blue balloon.",
    "Bring me the map of the bay, please.",
    "The museum opens at nine on Mondays.",
    "Who wants more soup?",
    "I am happy to be back home.",
    "Maybe we should move the meeting to May.",
    "The ship sailed through the stormy sea.",
    "Buy a bunch of bananas on the way.",
    "Tomorrow we fly over the ocean to Boston.",
    "Numbers one, two, three, four and five.",
    "Every morning I drink a cup of warm milk.",
)

_SUBJECTS = ("the pilot", "my brother", "our neighbour", "a young woman", "the old man", "the team",
             "my mother", "the doctor", "a little boy", "the teacher", "we", "you", "they", "Paul",
             "Maria", "the mayor", "the crew", "Bob", "the baker", "a robot")
_VERBS = ("bought", "found", "moved", "opened", "painted", "borrowed", "watched", "remembered", "wanted",
          "showed me", "brought", "mapped", "pushed", "loved", "booked", "played", "carried", "grabbed")
_OBJECTS = ("a blue balloon", "the broken window", "a map of the moon", "two warm blankets", "the old boat",
            "a box of apples", "the purple umbrella", "a bowl of soup", "the big wooden door",
            "a book about whales", "the new computer", "some fresh bread", "a photo of the ocean",
            "the bright yellow kite", "a pair of boots", "the moving boxes", "a bunch of flowers")
_PLACES = ("in the morning", "at the museum", "near the harbour", "before noon", "on Monday",
           "by the pool", "after lunch", "in the park", "at the beach", "on the bus", "in Boston",
           "at the market", "behind the school", "under the bridge", "in the rain", "at midnight")
_OPENERS = ("", "", "", "Yesterday, ", "Surprisingly, ", "Of course, ", "Last week, ", "Maybe ",
            "Oh, ", "Well, ", "By the way, ")


def composed(rng: np.random.Generator) -> str:
    """One sentence from the template grammar: [opener] subject verb object place (. or ?)."""
    opener = _OPENERS[rng.integers(len(_OPENERS))]
    subject = _SUBJECTS[rng.integers(len(_SUBJECTS))]
    if opener:
        text = f"{opener}{subject}"
    else:
        text = subject[0].upper() + subject[1:]
    text += f" {_VERBS[rng.integers(len(_VERBS))]} {_OBJECTS[rng.integers(len(_OBJECTS))]}"
    text += f" {_PLACES[rng.integers(len(_PLACES))]}"
    return text + ("?" if rng.random() < 0.15 else ".")


def n_composable() -> int:
    """How many distinct sentences the grammar can compose (ignoring the final mark)."""
    return len(set(_OPENERS)) * len(_SUBJECTS) * len(_VERBS) * len(_OBJECTS) * len(_PLACES)


def sentences(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` sentences: each one of the fixed sentences (40 %) or a composed one (60 %)."""
    out = []
    for _ in range(n):
        if rng.random() < 0.4:
            out.append(FIXED[rng.integers(len(FIXED))])
        else:
            out.append(composed(rng))
    return out
