"""One module per subcommand. Each declares its parser (`add_parser`) and its `run`, and
imports what it runs only when it runs, so building the parser stays cheap."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_CODES_HELP = """\
exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage or configuration error
"""
