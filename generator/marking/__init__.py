"""What ``stableface synthesize`` adds so that a generated video says so: the visible label
(:mod:`.label`), the invisible watermark in the frames (:mod:`.watermark`) and in the speech
(:mod:`.audio_mark`), the signed C2PA manifest (:mod:`.credentials`)."""
