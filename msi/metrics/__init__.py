"""The metrics: arrays in, numbers out (no decoding, no tracking), one module per column family.

``stability`` (MSI itself), ``variants`` (candidate MSI variants), ``baselines`` (Table IV's
landmark statistics), ``mouth_motion`` (how much the mouth moved), ``lipsync`` (the weight-free
lip-audio proxy), ``syncnet`` + ``lse`` (LSE-C/LSE-D, torch), ``lmd`` (landmark distance to the
truth), ``quality`` (CPBD, SSIM, PSNR), ``fid`` + ``fvd`` (set-level, torch), ``csim`` (identity
similarity, ONNX), and the temporal columns ``head``, ``silence``, ``accel_error``, ``flicker``,
``blinks``. ``column`` declares a column of ``msi compare``; ``registry`` lists them in order.
"""
