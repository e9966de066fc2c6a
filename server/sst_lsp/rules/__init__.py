"""Rules: one module per code (``sstNNN_name.py``), registered with ``@rule``."""
