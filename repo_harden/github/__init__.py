"""The GitHub API: the one client, and the live settings of a repository."""
