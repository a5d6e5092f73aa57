"""``python -m engine.cli`` runs the ``salesnet`` command line."""

import sys

from engine.cli import main

sys.exit(main())
