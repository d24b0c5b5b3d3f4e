"""The shell a repository runs: the one shell analyser, where scripts are written (workflow
steps, Dockerfiles, Makefiles, scripts), and what commands mean (downloads, installs, docker)."""
