"""``python -m app import FILE [--account NAME] [--user EMAIL] [--dry-run] [--json]``.

``--dry-run`` parses only and never starts or touches the database: with ``--json`` it
prints the normalized transactions as a JSON array (date ``YYYY-MM-DD``, amount as a decimal
string, currency, description, payee, external_id, ...), otherwise a short summary. Without
``--dry-run`` it imports for the user with that email, acting through that user's
row-level security (the job role's per-user session), exactly as the upload page does.
Errors name the file, line and field and exit with status 1 (2 for usage errors); rows
skipped inside an otherwise good file are listed on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

from core.config import Settings
from core.importing import ParseResult, StatementParseError, parse_statement, to_json_records

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("import", help="import a bank statement (CSV, OFX/QFX, QIF, MT940/942, camt)")
    cmd.add_argument("file", help="the statement file")
    cmd.add_argument("--account", help="account name (created if missing; default: matched by the "
                                       "account number in the file)")
    cmd.add_argument("--user", help="email of the user to import for (required unless --dry-run)")
    cmd.add_argument("--dry-run", action="store_true", help="parse only; do not touch the database")
    cmd.add_argument("--json", action="store_true", help="print JSON (transactions, or the import summary)")


def _report_rejected(result: ParseResult) -> None:
    for r in result.rejected:
        print(f"{result.filename}, line {r.line}, field '{r.field}': {r.reason}, got '{r.value[:60]}'"
              " (row skipped)", file=sys.stderr)
    for w in result.warnings:
        print(f"{result.filename}: warning: {w}", file=sys.stderr)


def _dry_run(result: ParseResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(to_json_records(result), ensure_ascii=False))
        return
    txns = result.transactions
    print(f"{result.filename}: {result.file_format}, {len(txns)} transaction(s) from "
          f"{min(t.date for t in txns)} to {max(t.date for t in txns)}, "
          f"{len(result.rejected)} rejected row(s)")
    if result.mapping_confidence is not None:
        print(f"column mapping (confidence {result.mapping_confidence:.2f}): {result.column_mapping}")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read the file ({exc.strerror})", file=sys.stderr)
        return 2
    try:
        result = parse_statement(data, path.name)
    except StatementParseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.dry_run:
        _dry_run(result, args.json)
        _report_rejected(result)
        return 0
    if not args.user:
        print("error: --user EMAIL is required to import (or use --dry-run)", file=sys.stderr)
        return 2
    return _import(args, settings, path, data, result)


def _import(args: argparse.Namespace, settings: Settings, path: Path, data: bytes,
            result: ParseResult) -> int:
    from app.launcher import prepare
    from core.admin_ops import keyring
    from core.crypto import user_cipher
    from core.identity import AuthUser
    from core.import_accounts import account_for_file
    from core.import_layout import describe_layout, remembered_mapping
    from core.importer import import_parsed

    db = prepare(settings)
    try:
        with db.owner_connection() as conn:
            row = conn.execute("select user_id, email, role from public.profiles"
                               " where lower(email) = lower(%s)", [args.user]).fetchone()
        if row is None:
            print(f"error: no user with email {args.user}", file=sys.stderr)
            return 2
        user = AuthUser(id=row[0], email=row[1], app_role=row[2])
        try:
            with db.job_user_session(user.id) as conn:
                cipher = user_cipher(conn, user.id, keyring(settings))
                account = account_for_file(conn, cipher, name=args.account, hint=result.account_hint,
                                           currency=result.currency)
                layout = describe_layout(data, path.name)
                saved = remembered_mapping(conn, account, layout.signature) if layout else None
                if saved:
                    result = parse_statement(data, path.name, mapping=saved.mapping,
                                             date_order=saved.date_order)
                summary = import_parsed(conn, user, cipher, account, result,
                                        file_sha256=hashlib.sha256(data).hexdigest())
        except StatementParseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        _report_rejected(result)
        if args.json:
            print(json.dumps(summary.as_dict(), ensure_ascii=False))
        else:
            print(f"{path.name}: {summary.n_imported} imported, {summary.n_duplicates} duplicate(s) skipped, "
                  f"{summary.n_possible_duplicates} possible duplicate(s) to review, {summary.n_rejected} "
                  f"rejected, {summary.n_transfers} transfer(s) found (batch {summary.batch_id})")
            for line in (*summary.notes, *(f"warning: {w}" for w in summary.warnings)):
                print(f"{path.name}: {line}")
        return 0
    finally:
        db.close()
