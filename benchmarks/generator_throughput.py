"""Training throughput of the generator: steps per second of each stage, configurations side by side.

    python benchmarks/generator_throughput.py DATA_DIR [--steps 20] [--rounds 3] [--data128 DIR]
    python benchmarks/generator_throughput.py DATA_DIR --data128 DIR --placement [--steps 10] [--rounds 2]
    python benchmarks/generator_throughput.py DATA_DIR --data128 DIR --discriminator [--steps 5] [--rounds 3]

Every configuration below trains on the same prepared clip; their steps are timed in interleaved
rounds (config A, B, C, A, B, C, ...) so that a noisy, shared machine slows them alike, and the
table reports each one's median step time and its ratio to the first row. The rows:

* ``tiny`` and ``bench`` as they are now (``bench`` = ``tiny`` with fewer epochs: the same step);
* ``tiny, paper erosion``: the per-frame mesh mask of the paper instead of one region per clip
  (a z-buffered raster of every frame per step), without the lips' loss: the step before the clip-wide erosion region;
* ``tiny, 2 threads``: torch on both cores (only worth it when the machine is otherwise idle);
* ``tiny, channels-last``: the renderer and discriminator in channels-last memory format;
* ``tiny128`` and ``tiny128, channels-last`` (with ``--data128``, a clip prepared at 128 px): the
  README's recipe and the bench's model, timed on its own frames in the same rounds.

A second table (``--load``) times tiny's render step on 1 and 2 threads, and on the count
``generator.cpu.CoreWatch`` picks (``TrainConfig.threads = 0``), with the machine otherwise idle
and while a busy-looping process (started here) holds one core; the conditions alternate per round.

A third table (``--discriminator``) splits tiny128's render step into its parts, timed in interleaved
rounds on one thread with the same batches: the batch (face-shape renders, erosion masks, the
renderer's forward pass), the discriminator's update, and the generator's backward pass with and
without the adversarial term. What skipping or thinning discriminator steps could save is their
difference.

Not rows: bf16 autocast (these CPUs have AVX2 but no AVX-512 BF16 or AMX, so bf16 matmuls are
emulated and slower) and ``torch.compile`` (minutes of compilation per run for small convolutions
that oneDNN already runs near peak; only the ``--placement`` table times it).
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import torch


def configs():
    from generator.config import get_config

    tiny = get_config("tiny")
    paper_erosion = get_config("tiny")
    paper_erosion.erosion = dataclasses.replace(paper_erosion.erosion, region="mesh")
    paper_erosion.loss = dataclasses.replace(paper_erosion.loss, lip_weight=0.0)
    return [("tiny", tiny, 1, False), ("tiny, paper erosion, no lip loss", paper_erosion, 1, False),
            ("tiny, 2 threads", get_config("tiny"), 2, False), ("tiny, channels-last", get_config("tiny"), 1, True)]


def load_table(data, dev, steps: int, rounds: int) -> None:
    """Render s/step of tiny on 1, 2 and CoreWatch's threads, idle and with one core held busy."""
    import subprocess

    from generator.config import get_config
    from generator.cpu import CoreWatch
    from generator.train import Trainer, draw_sequences

    cfg = get_config("tiny")
    cfg.a2e.window = data.window
    tr = Trainer(cfg, data, dev)
    times: dict[tuple[str, str], list[float]] = {}
    for rnd in range(rounds + 1):  # round 0 warms up
        for cond in ("idle", "one core busy"):
            spin = (subprocess.Popen([sys.executable, "-c", "while True: pass"]) if cond != "idle" else None)
            try:
                watch = CoreWatch(every=2.0)
                time.sleep(2.5)  # the watch's first reading: the spinner (or nothing) alone
                auto = watch.threads()
                for label, n in (("1 thread", 1), ("2 threads", 2), ("auto", auto)):
                    torch.set_num_threads(n)
                    t0 = time.perf_counter()
                    for step in range(steps):
                        b = data.batch(draw_sequences(data.train, cfg.train.seq_len, cfg.train.batch, 0, step), dev)
                        tr.step_render(b, joint=False, generator=torch.Generator().manual_seed(step))
                    if rnd:
                        times.setdefault((label, cond), []).append((time.perf_counter() - t0) / steps)
                        times.setdefault((f"auto picks ({cond})", cond), []).append(auto)
            finally:
                if spin is not None:
                    spin.kill()
                    spin.wait()
    print(f"tiny render step, median s/step over {rounds} rounds of {steps} steps\n")
    print("| threads | idle machine | one core busy |\n|---|---|---|")
    for label in ("1 thread", "2 threads", "auto"):
        print(f"| {label} | " + " | ".join(f"{statistics.median(times[(label, c)]):.3f}"
                                          for c in ("idle", "one core busy")) + " |")
    picks = [statistics.median(times[(f"auto picks ({c})", c)]) for c in ("idle", "one core busy")]
    print(f"| (auto's count) | {picks[0]:g} | {picks[1]:g} |\n")


_WORKER = """
import json, sys, time, torch
from generator.config import get_config
from generator.train import TrainData, Trainer, draw_sequences
data_dir, threads, steps, start_at, compile_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
torch.set_num_threads(threads)
data = TrainData.load(data_dir)
cfg = get_config("tiny128")
cfg.a2e.window = data.window
tr = Trainer(cfg, data, torch.device("cpu"))
t0 = time.time()
if compile_:
    tr.model.renderer = torch.compile(tr.model.renderer)
def step(s):
    b = data.batch(draw_sequences(data.train, cfg.train.seq_len, cfg.train.batch, 0, s), torch.device("cpu"))
    tr.step_render(b, joint=False, generator=torch.Generator().manual_seed(s))
step(0)  # warm-up (and, compiled, the compilation)
warm = time.time() - t0
while time.time() < start_at:  # every worker of a round starts at the same moment
    time.sleep(0.01)
t0 = time.time()
for s in range(1, steps + 1):
    step(s)
print(json.dumps({"start": t0, "end": time.time(), "warm": warm}))
"""


def placement_table(data128: Path, steps: int, rounds: int) -> None:
    """Render steps per second of the 128 px bench step (tiny128): one process on both cores, two
    processes on one core each (two bench runs at once), and one compiled process (torch.compile,
    its compilation time apart); conditions alternate per round, the machine otherwise idle."""
    import json
    import subprocess

    def launch(jobs: list[tuple[int, int, bool]]) -> list[dict]:
        start = time.time() + 45  # loading and the warm-up step finish before it
        procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(data128), str(t), str(n), str(start), str(int(c))],
                                  stdout=subprocess.PIPE, text=True) for t, n, c in jobs]
        return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]

    conditions = {"1 process x 2 threads": [(2, 2 * steps, False)],
                  "2 processes x 1 thread": [(1, steps, False), (1, steps, False)],
                  "1 process x 2 threads, torch.compile": [(2, 2 * steps, True)]}
    rate: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, jobs in conditions.items():
            out = launch(jobs)
            wall = max(o["end"] for o in out) - min(o["start"] for o in out)
            rate.setdefault(name, []).append(2 * steps / wall)
            warm.setdefault(name, []).append(max(o["warm"] for o in out))
    first = statistics.median(rate[next(iter(conditions))])
    print(f"tiny128 render steps, {2 * steps} per condition and round, median over {rounds} rounds\n")
    print("| placement | render steps/s | ratio | first step (s) |\n|---|---|---|---|")
    for name in conditions:
        r = statistics.median(rate[name])
        print(f"| {name} | {r:.3f} | {r / first:.2f} | {statistics.median(warm[name]):.1f} |")


def discriminator_table(data128: Path, steps: int, rounds: int) -> None:
    """Seconds of each part of tiny128's render step (one thread): what the discriminator costs."""
    from generator.config import get_config
    from generator.models.losses import gan_loss
    from generator.train import TrainData, Trainer, draw_sequences

    torch.set_num_threads(1)
    data = TrainData.load(data128)
    cfg = get_config("tiny128")
    cfg.a2e.window = data.window
    tr = Trainer(cfg, data, torch.device("cpu"))
    m = tr.model

    def batch(s: int):
        b = data.batch(draw_sequences(data.train, cfg.train.seq_len, cfg.train.batch, 0, s), torch.device("cpu"))
        return b, tr.renderer_batch(b, smooth=False, train=True, generator=torch.Generator().manual_seed(s))

    def d_update(b, out):
        real, fake, inputs = b["frames"].flatten(0, 1), out["fake"].flatten(0, 1), out["inputs"].flatten(0, 1)
        d = 0.5 * (gan_loss(m.discriminator(inputs.detach(), real), True)
                   + gan_loss(m.discriminator(inputs.detach(), fake.detach()), False))
        tr._step(d, ["discriminator"])

    def g_update(b, out, adversarial: bool):
        real, fake, inputs = b["frames"].flatten(0, 1), out["fake"].flatten(0, 1), out["inputs"].flatten(0, 1)
        loss = cfg.loss.l1 * (fake - real).abs().mean()
        if adversarial:
            loss = loss + cfg.loss.adversarial * gan_loss(m.discriminator(inputs, fake), True)
        tr._step(loss, ["renderer"])

    parts = {"batch and renderer forward": None, "discriminator update": d_update,
             "generator backward, with the adversarial term": lambda b, o: g_update(b, o, True),
             "generator backward, L1 only": lambda b, o: g_update(b, o, False)}
    times: dict[str, list[float]] = {k: [] for k in parts}
    for rnd in range(rounds + 1):  # round 0 warms up
        for name, part in parts.items():
            total = 0.0
            for s in range(steps):
                t0 = time.perf_counter()
                b, out = batch(s)
                if part is not None:
                    t0 = time.perf_counter()
                    part(b, out)
                total += time.perf_counter() - t0
            if rnd:
                times[name].append(total / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    step = med["batch and renderer forward"] + med["discriminator update"] + med["generator backward, with the adversarial term"]
    print(f"tiny128 render step in parts, one thread, median over {rounds} interleaved rounds of {steps} steps\n")
    print("| part | s/step | share of the step |\n|---|---|---|")
    for name, t in med.items():
        print(f"| {name} | {t:.3f} | {t / step:.0%} |")
    saved = med["discriminator update"] + med["generator backward, with the adversarial term"] - med["generator backward, L1 only"]
    print(f"\nthe discriminator (its update and the adversarial term): {saved:.3f} s, {saved / step:.0%} of the step")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data_dir", type=Path)
    p.add_argument("--steps", type=int, default=10, help="steps per stage per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data128", type=Path, help="a clip prepared at 128 px: adds a tiny128 row")
    p.add_argument("--load", action="store_true", help="also time 1 / 2 / auto threads, idle and with one core busy")
    p.add_argument("--placement", action="store_true", help="only the 128 px placement table (needs --data128): "
                   "one process on both cores, two on one core each, and torch.compile")
    p.add_argument("--discriminator", action="store_true", help="only tiny128's render step in parts (needs --data128): "
                   "what the discriminator's update and adversarial term cost")
    args = p.parse_args(argv)
    if args.discriminator:
        if args.data128 is None:
            p.error("--discriminator needs --data128")
        discriminator_table(args.data128, args.steps, args.rounds)
        return 0
    if args.placement:
        if args.data128 is None:
            p.error("--placement needs --data128")
        placement_table(args.data128, args.steps, args.rounds)
        return 0
    from generator.config import get_config
    from generator.train import TrainData, Trainer, draw_sequences

    data = TrainData.load(args.data_dir)
    dev = torch.device("cpu")
    rows = [(*row, data) for row in configs()]
    if args.data128 is not None:
        data128 = TrainData.load(args.data128)
        rows += [("tiny128", get_config("tiny128"), 1, False, data128),
                 ("tiny128, channels-last", get_config("tiny128"), 1, True, data128)]
    trainers = []
    for name, cfg, threads, channels_last, clip in rows:
        cfg.a2e.window = clip.window
        tr = Trainer(cfg, clip, dev)
        if channels_last:
            tr.model.renderer.to(memory_format=torch.channels_last)
            tr.model.discriminator.to(memory_format=torch.channels_last)
        trainers.append((name, cfg, threads, tr, clip))
    times: dict[tuple[str, str], list[float]] = {}
    for rnd in range(args.rounds + 1):  # round 0 warms up
        for name, cfg, threads, tr, clip in trainers:
            torch.set_num_threads(threads)
            for stage in ("a2e", "render", "joint"):
                seq = cfg.train.a2e_frames if stage == "a2e" else cfg.train.seq_len
                t0 = time.perf_counter()
                for step in range(args.steps):
                    b = clip.batch(draw_sequences(clip.train, seq, cfg.train.batch, 0, step), dev)
                    if stage == "a2e":
                        tr.step_a2e(b)
                    else:
                        tr.step_render(b, joint=stage == "joint", generator=torch.Generator().manual_seed(step))
                if rnd:
                    times.setdefault((name, stage), []).append((time.perf_counter() - t0) / args.steps)
    if args.load:
        load_table(data, dev, args.steps, args.rounds)
    first = trainers[0][0]
    print(f"median seconds per step over {args.rounds} interleaved rounds of {args.steps} steps "
          f"(ratio: the first row's time / this row's, > 1 is faster)\n")
    print("| configuration | a2e s/step | render s/step | joint s/step | render speed ratio |\n|---|---|---|---|---|")
    for name, *_ in trainers:
        med = {s: statistics.median(times[(name, s)]) for s in ("a2e", "render", "joint")}
        ratio = statistics.median(times[(first, "render")]) / med["render"]
        print(f"| {name} | {med['a2e']:.4f} | {med['render']:.3f} | {med['joint']:.3f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
