"""What ``stableface synthesize`` adds so that a generated video says so: the visible label
(:mod:`.label`), the invisible watermark (:mod:`.watermark`), the signed C2PA manifest
(:mod:`.credentials`)."""
