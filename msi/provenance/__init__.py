"""Whether a video declares itself generated: its C2PA manifest (:mod:`.manifest`) and the
invisible watermark (:mod:`.watermark`). The metric side reads both; the generator writes them."""
