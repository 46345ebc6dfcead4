import sys

from blazing.cli import main

sys.exit(main())
