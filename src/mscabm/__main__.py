from mscabm.cli import main

raise SystemExit(main())
