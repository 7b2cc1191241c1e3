import sys

from wcpulse.cli import main

sys.exit(main())
