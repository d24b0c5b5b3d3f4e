"""`docker run|create|pull IMAGE` (and `podman`) in scripts and `run:` steps, for PIN002.

An image the same file builds or tags (`docker build -t app .`, `docker tag`,
`docker/build-push-action` with `tags:`) is local, not pulled, and is left
alone; so is every image of a file that `docker load`s or `docker import`s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from repo_harden.core.declare import CheckContext
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.readers.file_kinds import is_dockerfile_path
from repo_harden.readers.workflows import ACTION, WORKFLOW, Step, is_action_path, is_workflow_path
from repo_harden.shell.analyser import Command, ShellScript, Word, program_name
from repo_harden.shell.blocks import ShellInputs, dockerfile_of, scripts_of

DOCKER_WORDS = ("docker", "podman")
_DOCKER_WORDS = lazy_compile(r"\b(docker|podman)\b")
_GLOBAL_VALUED = frozenset(
    {"--config", "-c", "--context", "-H", "--host", "-l", "--log-level", "--tlscacert",
     "--tlscert", "--tlskey", "--url", "--connection", "--root", "--runroot"}
)  # fmt: skip
_BOOLEAN_LONG = frozenset(
    {"--rm", "--detach", "--interactive", "--tty", "--privileged", "--init", "--publish-all",
     "--read-only", "--sig-proxy", "--no-healthcheck", "--oom-kill-disable", "--quiet",
     "--disable-content-trust", "--all-tags", "--help", "--use-api-socket", "--replace",
     "--tls-verify", "--no-stdin"}
)  # fmt: skip
_BOOLEAN_SHORT = frozenset("dPqti")
_PULLS = {("run",), ("create",), ("pull",), ("container", "run"), ("container", "create"),
          ("image", "pull")}  # fmt: skip


def image_references(ctx: CheckContext, path: str) -> Iterator[tuple[Position, str, str]]:
    """PIN002 outside workflow YAML: (where, image, what) for Dockerfile `FROM` and
    `COPY --from`, and for `docker run|create|pull` in any shell the file runs."""
    return images_in(ctx.parsed, path, ctx.shell_inputs)


def images_in(
    parsed: ParsedFiles, path: str, shell_inputs: ShellInputs | None = None
) -> Iterator[tuple[Position, str, str]]:
    """`image_references` of one file, for any reader of the parsed files (the inventory)."""
    if is_dockerfile_path(path):
        from repo_harden.readers.dockerfile import base_images

        dockerfile = dockerfile_of(parsed, path)
        if dockerfile is not None:
            yield from base_images(dockerfile)
    blocks = [
        b
        for b in scripts_of(parsed, path, shell_inputs)
        if b.dialect == "sh" and b.mentions(_DOCKER_WORDS)
    ]
    if blocks:
        yield from pulled_images([b.shell for b in blocks], _steps(parsed, path))


def _steps(parsed: ParsedFiles, path: str) -> list[Step]:
    if is_action_path(path):
        action = parsed.read(ACTION, path)
        return list(action.steps) if action else []
    if is_workflow_path(path):
        workflow = parsed.read(WORKFLOW, path)
        return [step for job in workflow.jobs for step in job.steps] if workflow else []
    return []


def docker_verb(argv: Sequence[Word]) -> tuple[str, list[Word]] | None:
    """`run`, `pull`... and the words after it, for a docker or podman command line."""
    if not argv or program_name(argv[0]) not in DOCKER_WORDS:
        return None
    words = list(argv[1:])
    while words and words[0].text.startswith("-"):
        option = words.pop(0).text
        if option in _GLOBAL_VALUED and words:
            words.pop(0)
    texts = [w.text for w in words]
    for verb in sorted(_PULLS, key=len, reverse=True):
        if tuple(texts[: len(verb)]) == verb:
            return " ".join(verb), words[len(verb) :]
    if texts and texts[0] in ("build", "buildx", "image", "tag", "commit", "load", "import"):
        return " ".join(texts[:2]) if texts[0] in ("buildx", "image") else texts[0], words[1:]
    return None


def image_word(args: Sequence[Word]) -> Word | None:
    """The first positional word of `docker run|create|pull` options: the image."""
    items = list(args)
    i = 0
    while i < len(items):
        text = items[i].text
        i += 1
        if text == "--":
            return items[i] if i < len(items) else None
        if not text.startswith("-") or text == "-":
            return items[i - 1]
        if text.startswith("--"):
            if "=" not in text and text not in _BOOLEAN_LONG:
                i += 1
        elif not set(text[1:]) <= _BOOLEAN_SHORT:
            letters = text[1:]
            valued = next(n for n, letter in enumerate(letters) if letter not in _BOOLEAN_SHORT)
            if valued == len(letters) - 1:
                i += 1
    return None


def built_images(scripts: Sequence[ShellScript], steps: Sequence[Step]) -> set[str] | None:
    """Repository names (no tag) the file builds or tags itself; None when it loads images
    from archives, whose names cannot be known."""
    names: set[str] = set()
    for script in scripts:
        for command in script.commands:
            found = docker_verb(command.words) if command.program in DOCKER_WORDS else None
            if found is None:
                continue
            verb, args = found
            if verb in ("load", "import"):
                return None
            names.update(_built_names(verb, args))
    for step in steps:
        if step.uses is not None and "docker/build-push-action" in step.uses.value:
            for key, value in step.inputs:
                if key.value == "tags":
                    names.update(repository(t) for t in value.value.replace(",", "\n").split())
    return names


def _built_names(verb: str, args: list[Word]) -> Iterator[str]:
    texts = [w.text for w in args]
    if verb in ("build", "buildx build", "image build", "buildx b"):
        for i, text in enumerate(texts):
            if text in ("-t", "--tag") and i + 1 < len(texts):
                yield repository(texts[i + 1])
            elif text.startswith("--tag="):
                yield repository(text.removeprefix("--tag="))
            elif text.startswith("-t") and len(text) > 2 and not text.startswith("--"):
                yield repository(text[2:])
    elif verb in ("tag", "image tag", "commit") and texts:
        positionals = [t for t in texts if not t.startswith("-")]
        if positionals:
            yield repository(positionals[-1])


def repository(image: str) -> str:
    """`ghcr.io/o/app:1.0@sha256:...` is `ghcr.io/o/app`."""
    name = image.split("@", 1)[0]
    head, colon, tag = name.rpartition(":")
    return head if colon and "/" not in tag else name


def pulled_images(
    scripts: Sequence[ShellScript], steps: Sequence[Step]
) -> Iterator[tuple[Position, str, str]]:
    """(where, image, what) for each image a script runs or pulls that the file does not
    build itself. An image given by a shell variable cannot be judged and is left out."""
    built: set[str] | None = None
    for script in scripts:
        for command in script.commands:
            found = _pulled(command)
            if found is None:
                continue
            if built is None:
                built = built_images(scripts, steps)
                if built is None:
                    return
            verb, word = found
            if repository(word.text) in built or word.text.startswith("localhost"):
                continue
            yield word.at, word.text, f"`docker {verb}` image"


def _pulled(command: Command) -> tuple[str, Word] | None:
    if command.program not in DOCKER_WORDS:
        return None
    found = docker_verb(command.words)
    if found is None or found[0] not in {" ".join(v) for v in _PULLS}:
        return None
    word = image_word(found[1])
    if word is None or (not word.literal and not word.has_expression):
        return None
    if word.has_expression and "$" in word.text.replace("${{", ""):
        return None
    return found[0], word
