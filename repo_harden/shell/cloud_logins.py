"""Commands that log in to a cloud provider with a long-lived key: `aws configure set
aws_secret_access_key`, `az login --service-principal` with a password or certificate,
`gcloud auth activate-service-account --key-file`. Each provider also accepts
short-lived OIDC credentials from a workflow."""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record
from repo_harden.shell.analyser import Command, Word, parse_args

LOGIN_WORDS = lazy_compile(r"\b(aws|az|gcloud)\b")
AWS, AZURE, GOOGLE = "AWS", "Azure", "Google Cloud"


@record
class StaticLogin:
    """A login with a stored key: the provider, and the word that carries the key."""

    provider: str
    key: Word


def static_login_of(command: Command) -> StaticLogin | None:
    words = command.words
    texts = [w.text for w in words]
    name = command.program
    aws_key = len(words) > 3 and words[3].text.lower().endswith("aws_secret_access_key")
    if name == "aws" and texts[1:3] == ["configure", "set"] and aws_key:
        return StaticLogin(AWS, words[3])
    if name == "az" and texts[1:2] == ["login"] and "--service-principal" in texts:
        parsed = parse_args(
            words[2:],
            (
                "-u",
                "--username",
                "-p",
                "--password",
                "-t",
                "--tenant",
                "--certificate",
                "--federated-token",
            ),
        )
        keys = parsed.values("-p", "--password", "--certificate")
        if keys and not parsed.has("--federated-token"):
            return StaticLogin(AZURE, keys[0])
    if name == "gcloud" and texts[1:3] == ["auth", "activate-service-account"]:
        parsed = parse_args(words[3:], ("--key-file", "--password-file", "--project"))
        keys = parsed.values("--key-file")
        if keys:
            return StaticLogin(GOOGLE, keys[0])
    return None
