"""``python -m server`` is ``squeeze-quest-server``."""

import sys

from server.cli import main

sys.exit(main())
