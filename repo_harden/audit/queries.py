"""The GraphQL an audit sends. Tests validate every query built here against GitHub's
public schema.

What things cost: GitHub charges a query by the connections it reads (`first:`), about one
point per 100 nodes, and at least one point. A `Tree`'s `entries` is a plain list, not a
connection: one query reads several levels of many repositories' trees for one point.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

LISTING_PAGE = 100
TREE_LEVELS = 4  # levels of a tree one query reads; deeper folders take another round
ALLOWANCES = 25

RATE_LIMIT = "rateLimit { cost remaining resetAt }"

_ACTOR = "actor { __typename ... on User { login } ... on Team { slug } ... on App { slug } }"

_PROTECTION_RULE = f"""
branchProtectionRule {{
  pattern allowsDeletions allowsForcePushes blocksCreations dismissesStaleReviews
  isAdminEnforced lockBranch requireLastPushApproval requiredApprovingReviewCount
  requiredStatusCheckContexts requiresApprovingReviews requiresCodeOwnerReviews
  requiresCommitSignatures requiresConversationResolution requiresLinearHistory
  requiresStatusChecks requiresStrictStatusChecks restrictsPushes
  requiredStatusChecks {{ context }}
  bypassPullRequestAllowances(first: {ALLOWANCES}) {{ nodes {{ {_ACTOR} }} }}
}}"""

# The branch's effective rules: every active ruleset of the repository and its organization
# whose conditions take the branch in, evaluated by GitHub (as REST's `rules/branches`
# answers). One connection per repository: a page costs what the push allowances, which no
# rule reads, cost before.
BRANCH_RULES = 100
_BRANCH_RULES = f"""
rules(first: {BRANCH_RULES}) {{
  totalCount
  nodes {{
    type
    parameters {{
      __typename
      ... on PullRequestParameters {{
        dismissStaleReviewsOnPush requireCodeOwnerReview requireLastPushApproval
        requiredApprovingReviewCount requiredReviewThreadResolution
      }}
      ... on RequiredStatusChecksParameters {{
        strictRequiredStatusChecksPolicy requiredStatusChecks {{ context integrationId }}
      }}
    }}
    repositoryRuleset {{
      databaseId
      source {{ __typename ... on Organization {{ login }} ... on Repository {{ nameWithOwner }} }}
    }}
  }}
}}"""

RULESETS = 20
_RULESETS = f"""
rulesets(first: {RULESETS}, includeParents: true) {{
  totalCount
  nodes {{
    databaseId name enforcement target
    source {{ __typename }}
    conditions {{ refName {{ include exclude }} }}
    bypassActors(first: {ALLOWANCES}) {{
      totalCount
      nodes {{
        bypassMode deployKey organizationAdmin repositoryRoleDatabaseId
        actor {{ __typename ... on App {{ databaseId }} ... on Team {{ databaseId }} }}
      }}
    }}
  }}
}}"""

# Whether the default branch has workflows (their Actions settings are read only then).
_WORKFLOWS = 'workflows: object(expression: "HEAD:.github/workflows") { ... on Tree { oid } }'

REPOSITORY_FRAGMENT = f"""
fragment Repo on Repository {{
  nameWithOwner url isArchived isFork isEmpty isPrivate viewerCanAdminister
  owner {{ __typename }}
  {_WORKFLOWS}
  defaultBranchRef {{
    name
    target {{ oid ... on Commit {{ tree {{ oid }} }} }}
    {_PROTECTION_RULE}
    {_BRANCH_RULES}
  }}
  codeowners {{ errors {{ path line column kind message source suggestion }} }}
  {_RULESETS}
}}"""


FILES_FRAGMENT = """
fragment Repo on Repository {
  nameWithOwner isArchived isFork isEmpty
  defaultBranchRef { name target { oid ... on Commit { tree { oid } } } }
}"""
"""What a reading of files alone needs of the listing (the inventory): no settings, so no
connection is read and a page costs one point."""


def owner_listing(kind: str, fragment: str = REPOSITORY_FRAGMENT) -> str:
    """One page of an organization's (`organization`) or a user's (`user`) repositories."""
    affiliation = ", ownerAffiliations: [OWNER]" if kind == "user" else ""
    return f"""query($login: String!, $after: String) {{
  {RATE_LIMIT}
  owner: {kind}(login: $login) {{
    repositories(first: {LISTING_PAGE}, after: $after{affiliation},
                 orderBy: {{field: NAME, direction: ASC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ ...Repo }}
    }}
  }}
}}
{fragment}"""


def owner_names(kind: str) -> str:
    """One page of the names alone: light enough for GitHub to answer when a full listing
    page came back with repositories missing."""
    affiliation = ", ownerAffiliations: [OWNER]" if kind == "user" else ""
    return f"""query($login: String!, $after: String) {{
  {RATE_LIMIT}
  owner: {kind}(login: $login) {{
    repositories(first: {LISTING_PAGE}, after: $after{affiliation},
                 orderBy: {{field: NAME, direction: ASC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ nameWithOwner }}
    }}
  }}
}}"""


def _repository(alias: str, full_name: str, selection: str) -> str:
    owner, name = (json.dumps(part) for part in full_name.split("/", 1))
    return f"{alias}: repository(owner: {owner}, name: {name}) {{ {selection} }}"


def named_repositories(full_names: Sequence[str], fragment: str = REPOSITORY_FRAGMENT) -> str:
    """The listing fields of the repositories named on the command line, aliased r0, r1..."""
    parts = [_repository(f"r{i}", name, "...Repo") for i, name in enumerate(full_names)]
    return "query {\n  " + RATE_LIMIT + "\n  " + "\n  ".join(parts) + "\n}\n" + fragment


def _tree_selection(levels: int) -> str:
    inner = ""
    if levels > 1:
        inner = f" object {{ ... on Tree {{ {_tree_selection(levels - 1)} }} }}"
    return f"oid entries {{ name type mode oid size{inner} }}"


Batch = tuple[str, dict[str, str]]
"""A batch query and its variables. The repositories and objects asked are variables, so
every batch of a size is the same text: GitHub (and the fake) parse and validate it once."""


def _batch(
    prefix: str, requests: Sequence[tuple[str, str]], argument: str, kind: str, selection: str
) -> Batch:
    """`prefix0: repository(owner: $o0, name: $n0) { object(argument: $x0) { selection } }`
    for each `(repository, object)`; `kind` is the object argument's GraphQL type."""
    declared: list[str] = []
    parts: list[str] = []
    variables: dict[str, str] = {}
    for index, (repository, value) in enumerate(requests):
        owner, name = repository.split("/", 1)
        variables |= {f"o{index}": owner, f"n{index}": name, f"x{index}": value}
        declared.append(f"$o{index}: String!, $n{index}: String!, $x{index}: {kind}")
        parts.append(
            f"{prefix}{index}: repository(owner: $o{index}, name: $n{index}) "
            f"{{ object({argument}: $x{index}) {{ {selection} }} }}"
        )
    query = f"query({', '.join(declared)}) {{\n  {RATE_LIMIT}\n  " + "\n  ".join(parts) + "\n}"
    return query, variables


def trees(requests: Sequence[tuple[str, str]], levels: int = TREE_LEVELS) -> Batch:
    """The trees `(repository, tree oid)`, `levels` deep, aliased t0, t1..."""
    selection = f"... on Tree {{ {_tree_selection(levels)} }}"
    return _batch("t", requests, "oid", "GitObjectID!", selection)


_BLOB = "... on Blob { oid byteSize isBinary isTruncated text }"


def blobs(requests: Sequence[tuple[str, str]]) -> Batch:
    """The blobs `(repository, blob oid)` with their text, aliased b0, b1..."""
    return _batch("b", requests, "oid", "GitObjectID!", _BLOB)


def files_at(requests: Sequence[tuple[str, str, str]]) -> Batch:
    """The files `(repository, commit, path)` with their text, aliased f0, f1..."""
    expressions = [(repository, f"{commit}:{path}") for repository, commit, path in requests]
    return _batch("f", expressions, "expression", "String!", _BLOB)
