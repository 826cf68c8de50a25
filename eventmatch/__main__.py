"""``python -m eventmatch``: the same as the installed ``eventmatch`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
