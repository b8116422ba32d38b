"""The metrics: arrays in, numbers out (no decoding, no tracking), one module per column family.

``stability`` (MSI itself), ``variants`` (candidate MSI variants), ``baselines`` (Table IV's
landmark statistics), ``motion`` (how much the mouth moved), ``lipsync`` (the weight-free
lip-audio proxy), ``syncnet`` (LSE-C/LSE-D, torch), ``lmd`` (landmark distance to the truth),
``quality`` (CPBD, SSIM, PSNR).
"""
