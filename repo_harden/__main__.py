from repo_harden.cli import main

raise SystemExit(main())
