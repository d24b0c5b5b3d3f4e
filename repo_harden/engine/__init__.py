"""The engine: the catalogue of checks, running them over a snapshot, and the policy
(config, selection, waivers, inline ignores, baselines) that turns findings into a report."""
