"""`riir-airflow users create | list | delete`: the broker's users, in the metastore.

Contract:
- `users create --username U --role R (--password P | --use-random-password) [--email E]
  [--firstname F] [--lastname L]` creates a user with a salted password hash; roles are Airflow's
  (admin, op, user, viewer; any case, as Airflow writes them "Admin"...). A random password is
  printed once. An existing username or an unknown role is an error (exit 1).
- `users list [--output table|json|yaml|plain]` prints the users (never a password or hash).
- `users delete --username U` deletes one (and its API tokens); an unknown user is an error.
- They act on `[database] sql_alchemy_conn` directly, as Airflow's `users` commands do on the
  API server's machine (Airflow 3's `/api/v2` has no users endpoints; FAB's are its own API);
  a user logs in with `POST /auth/token` on the broker.
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from riir_airflow.cli.main import CommandError
from riir_airflow.cli.output import add_output_argument, print_rows

__all__ = ["register"]

ROLES = ("admin", "op", "user", "viewer")


def register(commands: Any) -> None:
    users = commands.add_parser("users", help="Manage the broker's users (login for the UI, API and CLI)")
    sub = users.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    create = sub.add_parser("create", help="Create a user")
    create.add_argument("--username", "-u", required=True)
    create.add_argument(
        "--role", "-r", required=True, type=str.lower, choices=ROLES, help="admin, op, user or viewer"
    )
    secret = create.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password", "-p", help="The user's password")
    secret.add_argument(
        "--use-random-password", action="store_true", help="Generate a password and print it once"
    )
    create.add_argument("--email", "-e", default=None)
    create.add_argument("--firstname", "-f", default=None)
    create.add_argument("--lastname", "-l", default=None)
    create.set_defaults(func=_create)

    listing = sub.add_parser("list", help="List the users")
    add_output_argument(listing)
    listing.set_defaults(func=_list)

    delete = sub.add_parser("delete", help="Delete a user and their API tokens")
    delete.add_argument("--username", "-u", required=True)
    delete.set_defaults(func=_delete)


def _registry() -> Any:
    from riir_airflow.cli.broker import open_metastore

    store, registry, _ = open_metastore()
    return store, registry


def _create(args: argparse.Namespace) -> int:
    import pendulum

    password = secrets.token_urlsafe(16) if args.use_random_password else args.password
    if not password:
        raise CommandError("the password must not be empty")
    store, registry = _registry()
    try:
        registry.create_user(
            args.username, password, args.role, pendulum.now("UTC"),
            email=args.email, first_name=args.firstname, last_name=args.lastname,
        )  # fmt: skip
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    print(f"User {args.username!r} created with role {args.role}.")
    if args.use_random_password:
        print(f"Password: {password}")
    return 0


def _list(args: argparse.Namespace) -> int:
    store, registry = _registry()
    try:
        users = registry.list_users()
    finally:
        store.close()
    rows = [
        {"username": u.username, "role": u.role, "email": u.email, "first_name": u.first_name,
         "last_name": u.last_name, "active": u.active}
        for u in users
    ]  # fmt: skip
    print_rows(rows, args.output)
    return 0


def _delete(args: argparse.Namespace) -> int:
    store, registry = _registry()
    try:
        deleted = registry.delete_user(args.username)
    finally:
        store.close()
    if not deleted:
        raise CommandError(f"no user {args.username!r}")
    print(f"User {args.username!r} deleted.")
    return 0
