"""Speech with phoneme timings from espeak-ng, through its C library (ctypes).

``libespeak-ng.so.1`` (Debian package ``espeak-ng``, which brings ``libespeak-ng1``) is
initialised once per process in synchronous retrieval mode with phoneme events
(``espeakINITIALIZE_PHONEME_EVENTS``). The synth callback receives blocks of 16-bit samples
together with events; every ``espeakEVENT_PHONEME`` event carries the phoneme's espeak mnemonic
(Kirshenbaum-style ASCII, e.g. ``p``, ``aI``, ``oU``, ``_:`` for a pause) and its
``audio_position`` in milliseconds from the start of the utterance. A phoneme lasts until the
next one starts; the last one until the end of the audio.

espeak-ng keeps synthesiser state from one utterance to the next (the same sentence comes out a
few samples longer or shorter on each call), so each utterance is synthesised in a forked child of
the freshly initialised engine: the same text and settings always give the same samples and
timings (POSIX only).

The structure layout follows espeak-ng's public header ``speak_lib.h`` (API revision 12).
"""
from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import threading
from dataclasses import dataclass

import numpy as np

from generator.errors import GeneratorError

LIBRARY = "libespeak-ng.so.1"
TIMEOUT = 60.0  # seconds one utterance may take
INSTALL_HINT = "espeak-ng is not installed (libespeak-ng.so.1 not found): apt-get install espeak-ng"

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE = 1, 3, 4


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms from the start of this espeak_Synth call
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class Speech:
    """One utterance: mono float32 samples in [-1, 1] and its phonemes with times in seconds."""

    wave: np.ndarray  # (n,) float32
    sample_rate: int
    phonemes: list[str]
    starts: np.ndarray  # (P,) seconds
    ends: np.ndarray  # (P,) seconds

    @property
    def duration(self) -> float:
        return len(self.wave) / self.sample_rate


class _Engine:
    """The process-wide espeak-ng instance (the library keeps global state)."""

    def __init__(self, library: str = LIBRARY) -> None:
        try:
            self.lib = ctypes.CDLL(library)
        except OSError:
            raise GeneratorError(INSTALL_HINT) from None
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS)
        if self.sample_rate <= 0:
            raise GeneratorError("espeak-ng failed to initialise (espeak-ng-data missing?): apt-get install espeak-ng")
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[str, int]] = []
        self._callback = _CALLBACK(self._on_synth)  # kept referenced: the library calls it later
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _on_synth(self, wav, n, events) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            if e.type == _EVENT_PHONEME:
                self._events.append((bytes(e.id.string).split(b"\0")[0].decode("utf-8", "replace"), e.audio_position))
            i += 1
        return 0

    def synth(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> Speech:
        """Synthesises in a forked child: espeak-ng carries state from one utterance to the next
        (the same text comes out a few samples and milliseconds different each time), so every
        utterance starts from the pristine just-initialised state and is bit-reproducible."""
        with self.lock:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # child: synthesise, send the result, exit without cleanup
                code = 0
                try:
                    os.close(r)
                    try:
                        out = ("ok", self._synth_here(text, voice, rate, pitch, pitch_range))
                    except GeneratorError as exc:
                        out = ("error", str(exc))
                    data = pickle.dumps(out)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(w, view):]
                except BaseException:  # pragma: no cover - nothing must escape a forked child
                    code = 1
                finally:
                    os._exit(code)
            os.close(w)
            chunks = []
            try:
                while True:  # a child that hangs (e.g. a lock held at fork time) must not hang us
                    ready, _, _ = select.select([r], [], [], TIMEOUT)
                    if not ready:
                        os.kill(pid, signal.SIGKILL)
                        raise GeneratorError(f"espeak-ng did not finish within {TIMEOUT:g} s")
                    block = os.read(r, 1 << 20)
                    if not block:
                        break
                    chunks.append(block)
            finally:
                os.close(r)
                os.waitpid(pid, 0)
        if not chunks:
            raise GeneratorError("espeak-ng crashed while synthesising the text")
        status, value = pickle.loads(b"".join(chunks))
        if status == "error":
            raise GeneratorError(value)
        return value

    def _synth_here(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> Speech:
        self._chunks, self._events = [], []
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise GeneratorError(f"espeak-ng has no voice {voice!r} (try en-us or en)")
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self.lib.espeak_SetParameter(_PARAM_RANGE, int(pitch_range), 0)
        data = text.encode("utf-8") + b"\0"
        err = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        if err != 0:
            raise GeneratorError(f"espeak-ng could not synthesise the text (error {err})")
        chunks, events = self._chunks, self._events
        sr = self.sample_rate
        wave = (np.concatenate(chunks) if chunks else np.zeros(0, np.int16)).astype(np.float32) / 32768.0
        names = [name for name, _ in events]
        starts = np.array([ms / 1000.0 for _, ms in events], dtype=np.float64)
        starts = np.minimum(starts, len(wave) / sr)
        ends = np.append(starts[1:], len(wave) / sr) if len(starts) else starts.copy()
        return Speech(wave=wave, sample_rate=sr, phonemes=names, starts=starts, ends=np.maximum(ends, starts))


_engines: dict[str, _Engine] = {}


def engine(library: str | None = None) -> _Engine:
    """The shared engine, loaded on first use; raises GeneratorError naming the apt package if missing."""
    library = library or LIBRARY
    if library not in _engines:
        _engines[library] = _Engine(library)
    return _engines[library]


def synthesize(text: str, voice: str = "en-us", rate: int = 165, pitch: int = 50, pitch_range: int = 50,
               library: str | None = None) -> Speech:
    """Speak ``text`` with espeak-ng: samples at the library's rate (22050 Hz) and phoneme timings.

    ``rate`` is in words per minute (80-450), ``pitch`` and ``pitch_range`` 0-100 (50 = normal).
    """
    if not text.strip():
        raise GeneratorError("nothing to speak: the sentence is empty")
    return engine(library).synth(text, voice, rate, pitch, pitch_range)
