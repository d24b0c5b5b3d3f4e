"""Fixing what the PIN rules find, as text edits: which reference a finding is about
(`references`), what it becomes once resolved (`plan`), and the edited text with its diff
(`edits`). Resolving and writing are the front end's (`repo_harden.frontend.fix`)."""
