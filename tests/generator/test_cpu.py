"""generator.cpu.CoreWatch: training's thread count follows the cores other processes leave free."""
import generator.cpu as cpu


class Clock:
    def __init__(self):
        self.t, self.busy, self.own = 0.0, 0.0, 0.0


def _watch(monkeypatch, clock: Clock, n_cpus: int = 2) -> cpu.CoreWatch:
    monkeypatch.setattr(cpu, "_cpus", lambda: list(range(n_cpus)))
    monkeypatch.setattr(cpu, "_busy_seconds", lambda cpus: clock.busy)
    monkeypatch.setattr(cpu.time, "monotonic", lambda: clock.t)
    monkeypatch.setattr(cpu.os, "times", lambda: type("T", (), {"user": clock.own, "system": 0.0})())
    return cpu.CoreWatch(every=10.0)


def test_threads_follow_the_cores_others_leave_free(monkeypatch):
    c = Clock()
    w = _watch(monkeypatch, c)
    assert w.threads() == 1  # starts on one thread until it has measured
    c.t, c.busy, c.own = 10.0, 10.0, 10.0  # only this process ran, on one core
    assert w.threads() == 2
    c.t, c.busy, c.own = 20.0, 30.0, 20.0  # 20 core-seconds busy, 10 of them ours: one core taken
    assert w.threads() == 1
    c.t, c.busy, c.own = 25.0, 35.0, 25.0  # under the interval: not re-measured
    assert w.threads() == 1
    c.t, c.busy, c.own = 30.0, 42.0, 30.0  # others used 2 of 10 s (20 % of a core): counts as free
    assert w.threads() == 2
    c.t, c.busy, c.own = 40.0, 62.0, 32.0  # others held 1.8 cores: still one thread, never zero
    assert w.threads() == 1


def test_without_proc_it_stays_on_one_thread(monkeypatch):
    c = Clock()
    w = _watch(monkeypatch, c)
    monkeypatch.setattr(cpu, "_busy_seconds", lambda cpus: None)
    c.t = 100.0
    assert w.threads() == 1


def test_reads_this_machine():
    """The real /proc/stat: a count between 1 and the cores this process may use."""
    w = cpu.CoreWatch(every=0.0)
    sum(i * i for i in range(200_000))
    assert 1 <= w.threads() <= len(cpu._cpus())
    assert cpu._busy_seconds(cpu._cpus()) > 0
