"""`signage-player keygen`: make the Ed25519 key pair that signs a channel."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "make a key pair for signing channels; prints the public key for the players' config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="KEYFILE",
                        help="where to write the private key (created with mode 0600)")
    parser.add_argument("--force", action="store_true", help="replace an existing key file")


def main(args: argparse.Namespace) -> int:
    from player.channel import keys

    key = keys.generate_key()
    public = keys.public_key_text(key)
    try:
        keys.write_private_key(key, args.out, overwrite=args.force)
        pub_path = args.out.with_name(args.out.name + ".pub")
        pub_path.write_text(public + "\n", encoding="ascii")
    except FileExistsError:
        print(f"{args.out} already exists; it may be the key your players trust. "
              "Use --force to replace it.")
        return 1
    except OSError as exc:
        print(f"cannot write {exc.filename or args.out}: {exc.strerror}")
        return 3
    print(f"private key: {args.out} (keep it secret and keep a backup: "
          "players accept only content it signs)")
    print(f"public key, also in {pub_path}; paste it into each player's config under "
          "sync.public_keys:")
    print(public)
    return 0
