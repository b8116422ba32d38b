"""Whether a video declares itself generated: its C2PA manifest (:mod:`.manifest`), the
invisible watermark in its frames (:mod:`.watermark`) and the mark in its speech
(:mod:`.audio_mark`). The metric side reads them; the generator writes them."""
