"""WF: the trust boundaries of GitHub Actions workflows, and the settings that draw them.

One module per rule: `permissions` (WF001), `untrusted_checkout` (WF002),
`template_injection` (WF003), `cloud_credentials` (WF004), `provenance` (WF005),
`actions_settings` (WF101-WF104). What they share is beside them: how a workflow
runs and what its jobs hold (`workflow_runs`), which text an attacker controls
(`attacker_text`), which actions are which (`known_actions`) and what a job
visibly does with its token (`token_use`).
"""
