"""Provision the demo clients' pseudonymisation keys in `.env` (scripts/setup.sh runs this).

One random key per demo client (a client file with a `demo:` section), in the variable its
file names; a variable already in `.env` is kept, so a demo warehouse keeps its key across
setups. Real hospitals' keys are never generated here (docs/OPERATIONS.md). Keys are never
printed: only the names of the variables written.

Usage: python -m upflux_etl.demo_keys [ENV_FILE]
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

from upflux_etl.catalog.reader import read_catalog, read_clients
from upflux_etl.settings import Settings

log = logging.getLogger("upflux.demo_keys")

# The one variable every client shared before keys were per client: the demo client adopts
# its value, so a demo warehouse built before keeps its pseudonyms.
LEGACY_KEY_ENV = "UPFLUX_PSEUDONYM_KEY"
LEGACY_CLIENT = "demo"


def read_env_file(path: Path) -> dict[str, str]:
    """The `NAME=value` lines of an env file (comments and blank lines skipped)."""
    if not path.exists():
        return {}
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            pairs[name.strip()] = value.strip()
    return pairs


def provision_demo_keys(settings: Settings, env_file: Path) -> list[str]:
    """Append a key for each demo client whose variable `env_file` lacks.

    Returns:
        The names of the variables written.
    """
    present = read_env_file(env_file)
    clients = read_clients(settings, read_catalog(settings)).clients
    lines, written = [], []
    for client in clients:
        name = client.pseudonymisation.key_env
        if client.demo is None or name in present or name in written:
            continue
        legacy = present.get(LEGACY_KEY_ENV) if client.slug == LEGACY_CLIENT else None
        lines.append(f"{name}={legacy or secrets.token_hex(32)}")
        written.append(name)
    if lines:
        old = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
        sep = "" if not old or old.endswith("\n") else "\n"
        env_file.write_text(old + sep + "\n".join(lines) + "\n", encoding="utf-8")
    if env_file.exists():
        os.chmod(env_file, 0o600)
    return written


def main(argv: list[str] | None = None) -> int:
    """Provision the keys; says which variables it wrote (never their values)."""
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="[setup] %(message)s")
    env_file = Path(args[0] if args else ".env")
    for name in provision_demo_keys(Settings.from_env(), env_file):
        log.info("wrote a demo pseudonymisation key to %s (%s)", env_file, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
