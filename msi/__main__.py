import sys

from msi.cli import main

sys.exit(main())
