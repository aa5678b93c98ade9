"""`signage-player hub user ...`: people's accounts from the command line (the first admin).

    signage-player hub --root R user add NAME --role approver   (asks the password twice)
    signage-player hub --root R user add NAME --role admin --password-stdin < file
    signage-player hub --root R user list | disable NAME | enable NAME | passwd NAME
    signage-player hub --root R user role NAME editor

Every change goes into the hub's audit log as ``cli:<system user>`` from ``local``.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)
HELP = "manage people's accounts on the hub: add, list, disable, enable, passwd, role"
# player.hub.schema.ROLES, repeated so that building the parser imports no SQLAlchemy
ROLES = ("viewer", "editor", "approver", "admin")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="user_command", metavar="{add,list,disable,enable,passwd,role}",
                                required=True)
    add = sub.add_parser("add", help="add a user (asks the password twice)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer", help="default: viewer")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    sub.add_parser("list", help="list the users")
    for name, text in (("disable", "disable a user and end their sessions"),
                       ("enable", "enable a disabled user")):
        sub.add_parser(name, help=text).add_argument("name")
    passwd = sub.add_parser("passwd", help="set a new password (ends the user's sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    role = sub.add_parser("role", help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)


def read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask the password on: use --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Same password again: ") != first:
        raise ValueError("the two passwords differ; nothing was changed")
    return first


def main(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from player.commands.hub import migrated_engine
    from player.hub.accounts import AccountError, Accounts
    from player.hub.audit import AuditLog

    try:
        with migrated_engine(args) as engine:
            if engine is None:
                return 1
            return run(args, Accounts(engine), AuditLog(engine))
    except (AccountError, ValueError) as exc:
        print(f"hub user {args.user_command}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"hub user {args.user_command}: cannot use the hub database: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace, accounts: Any, audit: Any) -> int:
    who = f"cli:{_system_user()}"
    command = args.user_command
    if command == "list":
        users = accounts.list_users()
        width = max([len(u.name) for u in users] + [4])
        for user in users:
            state = "disabled" if user.disabled else "active"
            print(f"{user.name:<{width}}  {user.role:<8}  {state}")
        if not users:
            print("no users yet: add the first admin with "
                  "`signage-player hub --root ROOT user add NAME --role admin`")
        return 0
    if command == "add":
        accounts.add_user(args.name, read_password(args.password_stdin), args.role)
        detail = {"role": args.role}
    elif command in ("disable", "enable"):
        accounts.set_disabled(args.name, command == "disable")
        detail = {}
    elif command == "passwd":
        accounts.set_password(args.name, read_password(args.password_stdin))
        detail = {}
    else:
        accounts.set_role(args.name, args.role)
        detail = {"role": args.role}
    audit.record(who, f"user.{command}", args.name, detail, "local")
    print(f"user {args.name}: {command} done")
    return 0


def _system_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment nor the password database
        return "unknown"
