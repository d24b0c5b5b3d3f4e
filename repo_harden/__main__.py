from repo_harden.cli import main

if __name__ == "__main__":  # a worker process of `audit --jobs` imports this module too
    raise SystemExit(main())
