"""The fake GitHub's `POST /graphql`: queries really executed by graphql-core against GitHub's
public schema (`tests/data/github/schema.graphql`), with resolvers over the fake's state.

- A query that is not valid against the schema gets GitHub's error shape (HTTP 200,
  `{"errors": [{"message", "locations"}]}`) and is recorded in `fake.graphql_invalid`.
- Before executing, a query is analysed as GitHub does: every connection needs `first` or
  `last` (at most 100), and its cost is GitHub's formula (one request per connection per
  parent node, over 100, rounded, at least 1 point), charged to the `graphql` budget.
- Resolvers are small classes (methods take `info` and the field's arguments, as
  graphql-core's default resolver calls them) and dicts holding `__typename` for objects of
  abstract types (`GitObject`, actors). Nothing is copied: nodes are made as they are asked.
- An error GitHub would report for one field (a missing repository: `NOT_FOUND`) nulls that
  field and adds `{"type", "path", "locations", "message"}` to `errors`, as GitHub does.
  Any other error means the fake lacks something the query asked for: it is recorded in
  `fake.graphql_unsupported`, which `assert_github_shapes` requires to stay empty.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
    value_from_ast_untyped,
)

if TYPE_CHECKING:
    from tests.fake_github import FakeGitHub, FakeRepo, FakeRuleset, GitEntry, GitSnapshot, Token

SCHEMA = Path(__file__).parent / "data" / "github" / "schema.graphql"
Json = Any
MAX_PAGE = 100
MAX_NODES = 500_000
TIMEOUT_MESSAGE = (
    "Something went wrong while executing your query. This may be the result of a timeout, "
    "or it could be a GitHub bug. Please include `C0DE:F4KE:1D:2A:3B` when reporting this issue."
)

_schema_lock = threading.Lock()
_schemas: dict[Path, GraphQLSchema] = {}


def github_schema() -> GraphQLSchema:
    """GitHub's public GraphQL schema, built once per process (it takes about a second)."""
    with _schema_lock:
        if SCHEMA not in _schemas:
            _schemas[SCHEMA] = build_schema(SCHEMA.read_text(encoding="utf-8"))
        return _schemas[SCHEMA]


@lru_cache(maxsize=512)
def parse_and_validate(query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """The parsed query and its validation errors against GitHub's schema (cached: an audit
    sends the same text many times)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(github_schema(), document))


class GitHubGraphQLError(Exception):
    """An error GitHub reports for a field: the field is null, `errors` says why."""

    def __init__(self, kind: str | None, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def format_error(error: GraphQLError) -> Json:
    """One entry of `errors`, in GitHub's shape."""
    formatted: dict[str, Json] = {}
    original = error.original_error
    if isinstance(original, GitHubGraphQLError) and original.kind:
        formatted["type"] = original.kind
    if error.path:
        formatted["path"] = list(error.path)
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    formatted["message"] = error.message
    undefined = _UNDEFINED_FIELD.match(error.message)
    if undefined and not error.path:  # GitHub (graphql-ruby) words this one its own way
        field_name, type_name = undefined.groups()
        formatted["extensions"] = {
            "code": "undefinedField",
            "typeName": type_name,
            "fieldName": field_name,
        }
        formatted["message"] = f"Field '{field_name}' doesn't exist on type '{type_name}'"
    return formatted


_UNDEFINED_FIELD = re.compile(r"Cannot query field '([^']+)' on type '([^']+)'\.")


# Analysis: GitHub's pagination rules and cost -----------------------------------------


@dataclass
class Analysis:
    requests: int = 0  # GitHub's "requests needed to fulfil each connection"
    nodes: int = 0  # the most nodes the query can return
    errors: list[Json] = field(default_factory=list)

    @property
    def cost(self) -> int:
        """GitHub: the requests over 100, rounded to the nearest whole number, at least 1."""
        return max(1, math.floor(self.requests / 100 + 0.5))


def analyse(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Json]
) -> Analysis:
    schema = github_schema()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    analysis = Analysis()
    if operation is None:
        return analysis
    root = schema.get_root_type(operation.operation)
    if root is not None:
        _Walker(schema, fragments, variables, analysis).walk(root, operation.selection_set, 1, ())
    return analysis


@dataclass
class _Walker:
    """Counts a query's connections as GitHub does: each one once per node of its parents."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Json]
    analysis: Analysis

    def walk(
        self, parent: Any, selections: SelectionSetNode, multiplier: int, path: tuple[str, ...]
    ) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                self.field(parent, selection, multiplier, path)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(target, selection.selection_set, multiplier, path)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    self.walk(target, fragment.selection_set, multiplier, path)

    def field(self, parent: Any, node: FieldNode, multiplier: int, path: tuple[str, ...]) -> None:
        composite = isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        definition = parent.fields.get(node.name.value) if composite else None
        if definition is None:
            return  # __typename, introspection
        here = (*path, node.alias.value if node.alias else node.name.value)
        named = get_named_type(definition.type)
        inner = multiplier
        if named.name.endswith("Connection"):
            arguments = {
                arg.name.value: value_from_ast_untyped(arg.value, dict(self.variables))
                for arg in node.arguments or ()
            }
            size = _page_size(node.name.value, arguments, here, self.analysis)
            self.analysis.requests += multiplier
            inner = multiplier * size
            self.analysis.nodes += inner
        if node.selection_set is not None:
            self.walk(named, node.selection_set, inner, here)


def _page_size(
    name: str, arguments: Mapping[str, Json], path: tuple[str, ...], analysis: Analysis
) -> int:
    first, last = arguments.get("first"), arguments.get("last")
    size = first if isinstance(first, int) else last if isinstance(last, int) else None
    if size is None:
        analysis.errors.append(
            {
                "type": "MISSING_PAGINATION_BOUNDARIES",
                "path": list(path),
                "message": f"You must provide a `first` or `last` value to properly paginate the `{name}` connection.",
            }
        )
        return 1
    if size > MAX_PAGE or size < 0:
        which = "first" if isinstance(first, int) else "last"
        analysis.errors.append(
            {
                "type": "EXCESSIVE_PAGINATION",
                "path": list(path),
                "message": f"Requesting {size} records on the `{name}` connection exceeds the `{which}` limit of {MAX_PAGE} records.",
            }
        )
    return max(size, 0)


# Execution ------------------------------------------------------------------------------


@dataclass
class Context:
    """One query's view of the fake: who asks, and what the query cost."""

    fake: FakeGitHub
    token: Token
    cost: int
    nodes: int
    limit: int
    used: int
    reset_at: float


def execute(
    context: Context,
    document: DocumentNode,
    variables: Mapping[str, Json] | None,
    operation_name: str | None,
) -> tuple[Json, list[GraphQLError]]:
    """`{"data": ..., "errors": [...]}` and graphql-core's errors, for the caller to sort."""
    result = execute_sync(
        github_schema(),
        document,
        root_value=QueryRoot(context),
        context_value=context,
        variable_values=dict(variables or {}),
        operation_name=operation_name,
        type_resolver=_type_of,
    )
    errors = list(result.errors or ())
    body: dict[str, Json] = {}
    if result.data is not None or not errors:
        body["data"] = result.data
    if errors:
        body["errors"] = [format_error(e) for e in errors]
    return body, errors


def _type_of(value: Any, info: Any, abstract_type: Any) -> str | None:
    if isinstance(value, Mapping):
        name = value.get("__typename")
    else:
        name = getattr(value, "typename", None)
    return name if isinstance(name, str) else None


def iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_id(prefix: str, key: str) -> str:
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).digest()[:12]
    return f"{prefix}_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _database_id(key: str) -> int:
    return int.from_bytes(hashlib.sha1(key.encode(), usedforsecurity=False).digest()[:4], "big")


def connection(
    items: Sequence[Json],
    name: str,
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    key: Callable[[Json], Json] | None = None,
    descending: bool = False,
) -> Json:
    """A connection over `items`, already in order. Cursors hold the item's sort key (its
    position when there is no `key`), so the page after an item starts right even when
    items come and go between pages; `descending` says which way the keys run."""
    if first is None and last is None:
        raise GitHubGraphQLError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{name}` connection.",
        )
    keys = [key(item) for item in items] if key is not None else list(range(len(items)))

    def beyond(k: Json, mark: Json) -> bool:
        a, b = _comparable(k), _comparable(mark)
        return bool(a < b) if descending else bool(a > b)

    # The keys are in order, so where a cursor falls is found by halving: a listing of N
    # repositories costs N log N over its pages, not N squared.
    start, end = 0, len(items)
    if after is not None:
        mark = _decode_cursor(after, name)
        start = _first_index(len(keys), lambda i: beyond(keys[i], mark))
    if before is not None:
        mark = _decode_cursor(before, name)
        end = _first_index(len(keys), lambda i: not beyond(mark, keys[i]))
    window = list(range(start, max(start, end)))
    if first is not None:
        window = window[: max(first, 0)]
    if last is not None:
        window = window[len(window) - max(last, 0) :] if last > 0 else []
    cursors = [_encode_cursor(keys[i]) for i in window]
    nodes = [items[i] for i in window]
    return {
        "nodes": nodes,
        "edges": [{"node": n, "cursor": c} for n, c in zip(nodes, cursors, strict=True)],
        "pageInfo": {
            "hasNextPage": window[-1] + 1 < end if window else start < end,
            "hasPreviousPage": window[0] > 0 if window else start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
        "totalCount": len(items),
    }


def _first_index(count: int, holds: Callable[[int], bool]) -> int:
    """The first index in `range(count)` where `holds` (false, then true) is true."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _comparable(key: Json) -> Json:
    return tuple(key) if isinstance(key, list | tuple) else key


def _encode_cursor(key: Json) -> str:
    return base64.b64encode(b"cursor:v2:" + json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str, name: str) -> Json:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True)
        if not raw.startswith(b"cursor:v2:"):
            raise ValueError(cursor)
        key = json.loads(raw[len(b"cursor:v2:") :])
    except ValueError:
        raise GitHubGraphQLError(
            "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
        ) from None
    return tuple(key) if isinstance(key, list) else key


class QueryRoot:
    typename = "Query"

    def __init__(self, context: Context) -> None:
        self._context = context

    def rateLimit(self, info: Any, dryRun: bool = False) -> Json:
        c = self._context
        return {
            "cost": c.cost,
            "limit": c.limit,
            "nodeCount": c.nodes,
            "remaining": max(0, c.limit - c.used),
            "resetAt": iso_time(c.reset_at),
            "used": c.used,
        }

    def repository(
        self, info: Any, owner: str, name: str, followRenames: bool = True
    ) -> RepositoryNode:
        fake = self._context.fake
        fake.graphql_repository_fault(f"{owner}/{name}")
        repo = fake.find_repo(owner, name)
        if repo is None:
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return RepositoryNode(self._context, repo)

    def organization(self, info: Any, login: str) -> OwnerNode:
        found = self._context.fake.owner_kind(login)
        if found is None or found[1] != "Organization":
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'."
            )
        return OwnerNode(self._context, found[0], "Organization")

    def user(self, info: Any, login: str) -> OwnerNode:
        found = self._context.fake.owner_kind(login)
        if found is None or found[1] != "User":
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a User with the login of '{login}'."
            )
        return OwnerNode(self._context, found[0], "User")

    def repositoryOwner(self, info: Any, login: str) -> OwnerNode | None:
        found = self._context.fake.owner_kind(login)
        return OwnerNode(self._context, found[0], found[1]) if found else None

    def viewer(self, info: Any) -> OwnerNode:
        return OwnerNode(self._context, self._context.token.login, "User")


class OwnerNode:
    """An Organization or a User: the repositories it owns."""

    def __init__(self, context: Context, login: str, typename: str) -> None:
        self._context = context
        self.login = login
        self.typename = typename
        self.name = login
        self.id = _node_id("O" if typename == "Organization" else "U", login)
        self.databaseId = _database_id(login)
        self.url = f"https://github.example/{login}"
        self.resourcePath = f"/{login}"
        self.avatarUrl = f"https://avatars.github.example/{login}"

    def repositories(
        self,
        info: Any,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        orderBy: Mapping[str, str] | None = None,
        isArchived: bool | None = None,
        isFork: bool | None = None,
        privacy: str | None = None,
        visibility: str | None = None,
        **_ignored: Any,  # ownerAffiliations, affiliations: the fake has no collaborators
    ) -> Json:
        repos = self._context.fake.repos_of(self.login)
        if isArchived is not None:
            repos = [r for r in repos if r.archived == isArchived]
        if isFork is not None:
            repos = [r for r in repos if r.fork == isFork]
        wanted = privacy or visibility
        if wanted is not None:
            repos = [r for r in repos if ("PRIVATE" if r.private else "PUBLIC") == wanted]
        order_field = (orderBy or {}).get("field")
        descending = (orderBy or {}).get("direction") == "DESC"

        def key(repo: FakeRepo) -> list[Json]:
            if order_field == "NAME":
                return [repo.name.lower(), repo.name]
            # CREATED_AT, UPDATED_AT, PUSHED_AT, STARGAZERS and the default: creation order
            return [repo.created, repo.name]

        repos.sort(key=key, reverse=descending)
        page = connection(
            repos,
            "repositories",
            first=first,
            last=last,
            after=after,
            before=before,
            key=key,
            descending=descending,
        )
        heavy = _asks_fragments(info)
        page["nodes"] = [
            FailingNode(r.listing_error)
            if heavy and r.listing_error
            else RepositoryNode(self._context, r)
            for r in page["nodes"]
        ]
        for edge, node in zip(page["edges"], page["nodes"], strict=True):
            edge["node"] = node
        page["totalDiskUsage"] = 0
        return page


def _asks_fragments(info: Any) -> bool:
    """Whether the query asks for the repositories' nodes through a fragment (the audit's
    heavy listing) rather than for a few fields (a light one)."""
    for field_node in info.field_nodes:
        for selection in field_node.selection_set.selections:
            if getattr(selection, "name", None) and selection.name.value == "nodes":
                inner = selection.selection_set.selections if selection.selection_set else ()
                if any(type(s).__name__ == "FragmentSpreadNode" for s in inner):
                    return True
    return False


class FailingNode:
    """A repository GitHub could not resolve in this page: the node is null (its non-null
    `nameWithOwner` fails, and the null reaches the list item), with GitHub's message."""

    typename = "Repository"

    def __init__(self, message: str) -> None:
        self._message = message

    def __getattr__(self, name: str) -> Any:
        raise GitHubGraphQLError(None, self._message)


class RepositoryNode:
    typename = "Repository"

    def __init__(self, context: Context, repo: FakeRepo) -> None:
        self._context = context
        self._repo = repo
        self.name = repo.name
        self.nameWithOwner = repo.full_name
        self.isArchived = repo.archived
        self.isFork = repo.fork
        self.isPrivate = repo.private
        self.visibility = "PRIVATE" if repo.private else "PUBLIC"
        self.url = f"https://github.example/{repo.full_name}"
        self.resourcePath = f"/{repo.full_name}"
        self.isDisabled = self.isLocked = self.isMirror = self.isTemplate = False
        self.description = self.homepageUrl = None
        self.stargazerCount = self.forkCount = 0
        self.hasIssuesEnabled = True

    def id(self, info: Any) -> str:
        return _node_id("R", self._repo.full_name)

    def databaseId(self, info: Any) -> int:
        return _database_id(self._repo.full_name)

    def createdAt(self, info: Any) -> str:
        return iso_time(1_700_000_000 + self._repo.created)

    updatedAt = pushedAt = createdAt

    def isInOrganization(self, info: Any) -> bool:
        found = self._context.fake.owner_kind(self._repo.owner)
        return found is not None and found[1] == "Organization"

    def isEmpty(self, info: Any) -> bool:
        return self._repo.git() is None

    def viewerCanAdminister(self, info: Any) -> bool:
        return self._context.token.role == "admin"

    def viewerPermission(self, info: Any) -> str:
        return self._context.token.role.upper()

    def owner(self, info: Any) -> OwnerNode:
        found = self._context.fake.owner_kind(self._repo.owner)
        kind = found[1] if found else "Organization"
        return OwnerNode(self._context, self._repo.owner, kind)

    def defaultBranchRef(self, info: Any) -> Json:
        return self._ref(self._repo.default_branch)

    def ref(self, info: Any, qualifiedName: str) -> Json:
        history = self._repo.history
        for prefix in ("refs/tags/", "refs/heads/"):
            name = qualifiedName.removeprefix(prefix)
            if history is not None and qualifiedName.startswith(prefix):
                known = history.tags if prefix == "refs/tags/" else history.branches
                if name in known:
                    return self._history_ref(prefix, name)
        if not qualifiedName.startswith("refs/") or qualifiedName.startswith("refs/heads/"):
            return self._ref(qualifiedName.removeprefix("refs/heads/"))
        return None

    def _ref(self, branch: str) -> Json:
        history = self._repo.history
        if history is not None and branch in history.branches:
            return self._history_ref("refs/heads/", branch)
        snapshot = self._repo.git()
        if snapshot is None or branch != self._repo.default_branch:
            return None
        return {
            "__typename": "Ref",
            "id": _node_id("REF", f"{self._repo.full_name}:{branch}"),
            "name": branch,
            "prefix": "refs/heads/",
            "target": lambda info: self._commit(snapshot),
            "repository": lambda info: self,
            "branchProtectionRule": lambda info: self._protection(branch),
            "rules": lambda info, **page: self._branch_rules(branch, **page),
        }

    def refs(
        self,
        info: Any,
        refPrefix: str,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        query: str | None = None,
        orderBy: Mapping[str, str] | None = None,
        direction: str | None = None,
    ) -> Json:
        """Branches (`refs/heads/`) or tags (`refs/tags/`) whose names hold `query`, by name
        or (TAG_COMMIT_DATE) by the date of the commit they point at."""
        history = self._repo.history
        if refPrefix not in ("refs/heads/", "refs/tags/"):
            raise GitHubGraphQLError(None, f"refPrefix must end with /, not {refPrefix!r}")
        known: Mapping[str, Any] = {}
        if history is not None:
            known = history.tags if refPrefix == "refs/tags/" else history.branches
        names = [name for name in known if query is None or query in name]
        by_date = (orderBy or {}).get("field") == "TAG_COMMIT_DATE"
        descending = (orderBy or {}).get("direction", direction or "ASC") == "DESC"

        def key(name: str) -> list[Json]:
            if by_date and history is not None:
                sha = history.resolve(name) or ""
                commit = history.commits.get(sha)
                return [commit.date if commit else 0, name]
            return [name]

        names.sort(key=key, reverse=descending)
        page = connection(
            names, "refs", first=first, last=last, after=after, before=before, key=key,
            descending=descending,
        )  # fmt: skip
        page["nodes"] = [self._history_ref(refPrefix, name) for name in page["nodes"]]
        for edge, node in zip(page["edges"], page["nodes"], strict=True):
            edge["node"] = node
        return page

    def _history_ref(self, prefix: str, name: str) -> Json:
        history = self._repo.history
        assert history is not None
        target: Json
        if prefix == "refs/tags/":
            tag = history.tags[name]
            target = self._tag_object(tag) if tag.annotated else self._history_commit(tag.commit)
        else:
            target = self._history_commit(history.branches[name])
        return {
            "__typename": "Ref",
            "id": _node_id("REF", f"{self._repo.full_name}:{prefix}{name}"),
            "name": name,
            "prefix": prefix,
            "target": target,
            "repository": lambda info: self,
            "branchProtectionRule": lambda info: (
                self._protection(name) if prefix == "refs/heads/" else None
            ),
            "rules": lambda info, **page: (
                self._branch_rules(name, **page) if prefix == "refs/heads/" else None
            ),
        }

    def _history_commit(self, sha: str) -> Json:
        history = self._repo.history
        commit = self._git_object("Commit", sha)
        found = history.commits.get(sha) if history is not None else None
        date = iso_time(found.date if found else 1_700_000_000)
        empty_tree = self._git_object("Tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
        empty_tree["entries"] = []
        commit.update(
            tree=empty_tree,
            message=f"commit {sha[:7]}",
            messageHeadline=f"commit {sha[:7]}",
            messageBody="",
            committedDate=date,
            authoredDate=date,
            pushedDate=None,
            url=commit["commitUrl"],
            resourcePath=commit["commitResourcePath"],
        )
        return commit

    def _tag_object(self, tag: Any) -> Json:
        node = self._git_object("Tag", tag.oid)
        node.update(
            name=tag.name, message=f"release {tag.name}", target=self._history_commit(tag.commit)
        )
        return node

    def _protection(self, branch: str) -> Json:
        if self._context.token.role != "admin" or self._repo.classic is None:
            return None  # GitHub: null for a token that cannot administer the repository
        return branch_protection_rule(self._repo.classic, branch, self._repo.full_name)

    def object(self, info: Any, oid: str | None = None, expression: str | None = None) -> Json:
        """By `oid`, or by `expression`: `HEAD`, `main:path/to/file`, `HEAD:` (the root), and
        a release's tag or commit (`v1`, `<sha>:action.yml`)."""
        history = self._repo.history
        if history is not None:
            found = history.resolve(oid) if oid is not None else None
            if oid is None and expression is not None and ":" not in expression:
                found = history.resolve(expression)
            if found is not None and (oid is None or found == oid):
                return self._history_commit(found)
        snapshot = self._repo.git()
        if oid is None and expression is not None:
            revision = expression.partition(":")[0]
            snapshot = self._snapshot_at(revision, snapshot)
        if snapshot is None or (oid is None and expression is None):
            return None
        if oid is None:
            revision, colon, path = (expression or "").partition(":")
            entry = snapshot.paths.get(path.strip("/"))
            oid = (
                snapshot.commit_oid
                if not colon
                else snapshot.tree_oid
                if not path.strip("/")
                else entry.oid
                if entry is not None
                else ""
            )
        return self._object(snapshot, oid)

    def _snapshot_at(self, revision: str, head: GitSnapshot | None) -> GitSnapshot | None:
        """The commit a revision names: the head (`HEAD`, the default branch, its id), or a
        release (by tag or id)."""
        repo = self._repo
        if head is not None and revision in ("HEAD", repo.default_branch, head.commit_oid, ""):
            return head
        commit = repo.history.resolve(revision) if repo.history is not None else None
        return repo.releases.get(commit or revision)

    def _object(self, snapshot: GitSnapshot, oid: str) -> Json:
        if oid == snapshot.commit_oid:
            return self._commit(snapshot)
        if oid in snapshot.trees:
            return self._tree(snapshot, oid, "")
        if oid in snapshot.blobs:
            return self._blob(snapshot, oid)
        return None

    def _git_object(self, typename: str, oid: str) -> dict[str, Json]:
        return {
            "__typename": typename,
            "oid": oid,
            "abbreviatedOid": oid[:7],
            "id": _node_id(typename[0], oid),
            "commitResourcePath": f"/{self._repo.full_name}/commit/{oid}",
            "commitUrl": f"https://github.example/{self._repo.full_name}/commit/{oid}",
            "repository": lambda info: self,
        }

    def _commit(self, snapshot: GitSnapshot) -> Json:
        commit = self._git_object("Commit", snapshot.commit_oid)
        date = iso_time(1_700_000_000 + snapshot.revision)
        commit.update(
            tree=self._tree(snapshot, snapshot.tree_oid, ""),
            message=f"revision {snapshot.revision}",
            messageHeadline=f"revision {snapshot.revision}",
            messageBody="",
            committedDate=date,
            authoredDate=date,
            pushedDate=None,
            url=commit["commitUrl"],
            resourcePath=commit["commitResourcePath"],
            file=lambda info, path: self._file(snapshot, path),
        )
        return commit

    def _file(self, snapshot: GitSnapshot, path: str) -> Json:
        entry = snapshot.paths.get(path.strip("/"))
        if entry is None:
            return None
        parent, _, _ = path.strip("/").rpartition("/")
        return self._entry(snapshot, entry, f"{parent}/" if parent else "")

    def _tree(self, snapshot: GitSnapshot, oid: str, prefix: str) -> Json:
        tree = self._git_object("Tree", oid)
        tree["entries"] = lambda info: [
            self._entry(snapshot, entry, prefix) for entry in snapshot.trees[oid]
        ]
        return tree

    def _entry(self, snapshot: GitSnapshot, entry: GitEntry, prefix: str) -> Json:
        path = prefix + entry.name
        content = snapshot.blobs.get(entry.oid) if entry.type == "blob" else None
        _, dot, suffix = entry.name[1:].rpartition(".")  # a leading dot starts no extension
        extension = f".{suffix}" if dot else None
        return {
            "__typename": "TreeEntry",
            "name": entry.name,
            "nameRaw": lambda info: base64.b64encode(entry.name.encode()).decode(),
            "path": path,
            "pathRaw": lambda info: base64.b64encode(path.encode()).decode(),
            "type": entry.type,
            "mode": int(entry.mode, 8),
            "oid": entry.oid,
            "size": entry.size,
            "extension": extension if entry.type == "blob" else None,
            "isGenerated": False,
            "language": None,
            "submodule": None,
            "lineCount": lambda info: _line_count(content),
            "repository": lambda info: self,
            "object": lambda info: (
                self._tree(snapshot, entry.oid, path + "/")
                if entry.type == "tree"
                else self._blob(snapshot, entry.oid)
            ),
        }

    def _blob(self, snapshot: GitSnapshot, oid: str) -> Json:
        content = snapshot.blobs[oid]
        limit = self._context.fake.blob_text_limit
        binary = b"\0" in content[:8000]
        blob = self._git_object("Blob", oid)
        blob.update(
            byteSize=len(content),
            isBinary=binary,
            isTruncated=len(content) > limit,
            text=None if binary else content[:limit].decode("utf-8", "replace"),
        )
        return blob

    def codeowners(self, info: Any, refName: str | None = None) -> Json:
        errors = self._repo.codeowners_errors
        if errors is None:
            if not self._repo.has_codeowners():
                return None  # GitHub: null when the repository has no CODEOWNERS file
            errors = []
        return {"errors": [dict(e) for e in errors]}

    def _branch_rules(
        self,
        branch: str,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        orderBy: Mapping[str, str] | None = None,
    ) -> Json:
        """`Ref.rules`: the rules of every active ruleset (the repository's and its
        organization's) whose conditions take in the branch, as REST's
        `rules/branches/{branch}` lists them."""
        from tests.fake_github import ruleset_targets

        editor = self._context.token.role == "admin"
        nodes = [
            _rule_node(_ruleset_node(self._repo, ruleset, editor), ruleset.id, index, rule)
            for ruleset in self._repo.rulesets
            if ruleset.enforcement == "active" and ruleset_targets(ruleset, self._repo, branch)
            for index, rule in enumerate(ruleset.rules)
        ]
        return connection(nodes, "rules", first=first, last=last, after=after, before=before)

    def rulesets(
        self,
        info: Any,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        includeParents: bool = True,
    ) -> Json:
        """The rulesets of the repository and, with `includeParents`, of its organization.
        Their bypass lists are shown only to a token that may edit them (an admin)."""
        shown = [r for r in self._repo.rulesets if includeParents or r.source_type == "Repository"]
        editor = self._context.token.role == "admin"
        nodes = [_ruleset_node(self._repo, ruleset, editor) for ruleset in shown]
        return connection(nodes, "rulesets", first=first, last=last, after=after, before=before)


_BYPASS_FLAGS = {"OrganizationAdmin": "organizationAdmin", "DeployKey": "deployKey"}


def _ruleset_node(repo: FakeRepo, ruleset: FakeRuleset, editor: bool) -> Json:
    """A `RepositoryRuleset` from the fake's REST-shaped ruleset."""
    if ruleset.source_type == "Organization":
        source: Json = {"__typename": "Organization", "login": ruleset.source or repo.owner}
    else:
        source = {"__typename": "Repository", "nameWithOwner": repo.full_name}
    actors = [_bypass_actor(ruleset.id, i, a) for i, a in enumerate(ruleset.bypass_actors)]
    node: Json = {
        "__typename": "RepositoryRuleset",
        "id": _node_id("RRS", str(ruleset.id)),
        "databaseId": ruleset.id,
        "name": ruleset.name,
        "enforcement": ruleset.enforcement.upper(),
        "target": ruleset.target.upper(),
        "source": source,
        "conditions": {"refName": {"include": ruleset.include, "exclude": ruleset.exclude}},
        "bypassActors": connection(actors, "bypassActors", first=100) if editor else None,
        "rules": lambda info, **page: _ruleset_rules(node, ruleset, **page),
        "createdAt": iso_time(0),
        "updatedAt": iso_time(0),
    }
    return node


def _ruleset_rules(
    node: Json,
    ruleset: FakeRuleset,
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    type: str | None = None,  # the schema names the argument so
) -> Json:
    """`RepositoryRuleset.rules`, optionally of one `type` (`PULL_REQUEST`)."""
    rules = [
        _rule_node(node, ruleset.id, index, rule)
        for index, rule in enumerate(ruleset.rules)
        if type is None or str(rule.get("type")).upper() == type
    ]
    return connection(rules, "rules", first=first, last=last, after=after, before=before)


def _rule_node(ruleset: Json, ruleset_id: int, index: int, rule: Mapping[str, Json]) -> Json:
    """A REST-shaped rule (`{type, parameters}`) as a `RepositoryRule` of its ruleset."""
    kind = str(rule.get("type"))
    return {
        "__typename": "RepositoryRule",
        "id": _node_id("RR", f"{ruleset_id}:{index}"),
        "type": kind.upper(),
        "parameters": _rule_parameters(kind, rule.get("parameters") or {}),
        "repositoryRuleset": ruleset,
    }


def _rule_parameters(kind: str, parameters: Mapping[str, Json]) -> Json:
    """REST's snake_case parameters as the `RuleParameters` member GitHub answers with; None
    for the rules that take none."""
    if kind == "pull_request":
        return {
            "__typename": "PullRequestParameters",
            "dismissStaleReviewsOnPush": bool(parameters.get("dismiss_stale_reviews_on_push")),
            "requireCodeOwnerReview": bool(parameters.get("require_code_owner_review")),
            "requireLastPushApproval": bool(parameters.get("require_last_push_approval")),
            "requiredApprovingReviewCount": int(
                parameters.get("required_approving_review_count") or 0
            ),
            "requiredReviewThreadResolution": bool(
                parameters.get("required_review_thread_resolution")
            ),
        }
    if kind == "required_status_checks":
        return {
            "__typename": "RequiredStatusChecksParameters",
            "requiredStatusChecks": [
                {"context": str(check.get("context")), "integrationId": check.get("integration_id")}
                for check in parameters.get("required_status_checks") or ()
            ],
            "strictRequiredStatusChecksPolicy": bool(
                parameters.get("strict_required_status_checks_policy")
            ),
        }
    if kind == "update":
        allows = bool(parameters.get("update_allows_fetch_and_merge"))
        return {"__typename": "UpdateParameters", "updateAllowsFetchAndMerge": allows}
    if parameters:
        raise GitHubGraphQLError(None, f"the fake cannot show the parameters of a {kind} rule")
    return None


def _bypass_actor(ruleset_id: int, index: int, item: Mapping[str, Json]) -> Json:
    """REST's `{actor_id, actor_type, bypass_mode}` as a `RepositoryRulesetBypassActor`."""
    kind = str(item.get("actor_type"))
    node: Json = {
        "__typename": "RepositoryRulesetBypassActor",
        "id": _node_id("RBA", f"{ruleset_id}:{index}"),
        "bypassMode": str(item.get("bypass_mode", "always")).upper(),
        "organizationAdmin": False,
        "deployKey": False,
        "repositoryRoleDatabaseId": None,
        "repositoryRoleName": None,
        "actor": None,
    }
    if kind in _BYPASS_FLAGS:
        node[_BYPASS_FLAGS[kind]] = True
    elif kind == "RepositoryRole":
        node["repositoryRoleDatabaseId"] = item.get("actor_id")
    elif kind in ("Team", "Integration"):
        typename = "Team" if kind == "Team" else "App"
        key = f"{typename.lower()}-{item.get('actor_id')}"
        node["actor"] = {
            "__typename": typename,
            "id": _node_id(typename[0], key),
            "databaseId": item.get("actor_id"),
            "slug": key,
            "name": key,
        }
    return node


def _line_count(content: bytes | None) -> int | None:
    if content is None or b"\0" in content[:8000]:
        return None
    return content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)


# Classic branch protection: REST shape -> GraphQL BranchProtectionRule -------------------


def _actor(kind: str, item: Mapping[str, Json]) -> Json:
    if kind == "User":
        login = item["login"]
        return {
            "__typename": "User",
            "login": login,
            "id": _node_id("U", login),
            "databaseId": item.get("id"),
            "name": item.get("name"),
            "url": item.get("html_url") or f"https://github.example/{login}",
        }
    slug = item["slug"]
    if kind == "Team":
        return {
            "__typename": "Team",
            "slug": slug,
            "name": item.get("name") or slug,
            "id": _node_id("T", slug),
            "databaseId": item.get("id"),
            "combinedSlug": slug,
        }
    return {
        "__typename": "App",
        "slug": slug,
        "name": item.get("name") or slug,
        "id": _node_id("A", slug),
        "databaseId": item.get("id"),
    }


def _allowances(lists: Mapping[str, Json] | None, typename: str, rule_id: str) -> list[Json]:
    if not lists:
        return []
    return [
        {
            "__typename": typename,
            "id": _node_id("AL", f"{rule_id}:{kind}:{i}"),
            "actor": _actor(kind, item),
        }
        for key, kind in (("users", "User"), ("teams", "Team"), ("apps", "App"))
        for i, item in enumerate(lists.get(key) or ())
    ]


def _allowance_connection(items: list[Json], name: str) -> Callable[..., Json]:
    def resolve(info: Any, **args: Any) -> Json:
        return connection(
            items,
            name,
            first=args.get("first"),
            last=args.get("last"),
            after=args.get("after"),
            before=args.get("before"),
        )

    return resolve


def branch_protection_rule(classic: Mapping[str, Json], pattern: str, full_name: str) -> Json:
    """GitHub's `BranchProtectionRule` for the classic protection whose REST body
    (`GET .../branches/{branch}/protection`) is `classic`."""

    def enabled(key: str) -> bool:
        value = classic.get(key)
        return bool(value.get("enabled")) if isinstance(value, Mapping) else False

    reviews: Mapping[str, Json] | None = classic.get("required_pull_request_reviews")
    checks: Mapping[str, Json] | None = classic.get("required_status_checks")
    restrictions: Mapping[str, Json] | None = classic.get("restrictions")
    dismissal = reviews.get("dismissal_restrictions") if reviews else None
    rule_id = _node_id("BPR", f"{full_name}:{pattern}")
    contexts = list(checks.get("contexts") or ()) if checks else []
    status_checks = [
        {
            "context": check["context"],
            "app": (
                None
                if check.get("app_id") is None
                else _actor("App", {"slug": f"app-{check['app_id']}", "id": check["app_id"]})
            ),
        }
        for check in (checks.get("checks") or () if checks else ())
    ] or [{"context": name, "app": None} for name in contexts]
    return {
        "__typename": "BranchProtectionRule",
        "id": rule_id,
        "databaseId": _database_id(rule_id),
        "pattern": pattern,
        "creator": None,
        "allowsDeletions": enabled("allow_deletions"),
        "allowsForcePushes": enabled("allow_force_pushes"),
        "blocksCreations": enabled("block_creations"),
        "dismissesStaleReviews": bool(reviews and reviews.get("dismiss_stale_reviews")),
        "isAdminEnforced": enabled("enforce_admins"),
        "lockAllowsFetchAndMerge": enabled("allow_fork_syncing"),
        "lockBranch": enabled("lock_branch"),
        "requireLastPushApproval": bool(reviews and reviews.get("require_last_push_approval")),
        "requiredApprovingReviewCount": (
            reviews.get("required_approving_review_count") if reviews else None
        ),
        "requiredDeploymentEnvironments": [],
        "requiredStatusCheckContexts": contexts,
        "requiredStatusChecks": status_checks if checks else [],
        "requiresApprovingReviews": reviews is not None,
        "requiresCodeOwnerReviews": bool(reviews and reviews.get("require_code_owner_reviews")),
        "requiresCommitSignatures": enabled("required_signatures"),
        "requiresConversationResolution": enabled("required_conversation_resolution"),
        "requiresDeployments": False,
        "requiresLinearHistory": enabled("required_linear_history"),
        "requiresStatusChecks": checks is not None,
        "requiresStrictStatusChecks": bool(checks and checks.get("strict")),
        "restrictsPushes": restrictions is not None,
        "restrictsReviewDismissals": dismissal is not None,
        "pushAllowances": _allowance_connection(
            _allowances(restrictions, "PushAllowance", rule_id), "pushAllowances"
        ),
        "reviewDismissalAllowances": _allowance_connection(
            _allowances(dismissal, "ReviewDismissalAllowance", rule_id), "reviewDismissalAllowances"
        ),
        "bypassPullRequestAllowances": _allowance_connection(
            _allowances(
                reviews.get("bypass_pull_request_allowances") if reviews else None,
                "BypassPullRequestAllowance",
                rule_id,
            ),
            "bypassPullRequestAllowances",
        ),
        # Classic protection's REST body has no force-push bypass list: none here either.
        "bypassForcePushAllowances": _allowance_connection([], "bypassForcePushAllowances"),
        "branchProtectionRuleConflicts": _allowance_connection([], "branchProtectionRuleConflicts"),
        "matchingRefs": _allowance_connection([], "matchingRefs"),
    }


def unsupported(errors: Iterable[GraphQLError]) -> list[GraphQLError]:
    """The errors GitHub would not send: the fake lacks what the query asked for."""
    return [e for e in errors if not isinstance(e.original_error, GitHubGraphQLError)]
