"""Where snapshots come from: a checkout on disk (the org audit reads GitHub in
`repo_harden.audit`)."""
