import sys

from viralclipper.cli import main

sys.exit(main())
