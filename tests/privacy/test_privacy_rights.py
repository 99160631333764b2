"""Privacy rights end to end on the real database: export (ZIP of CSV + JSON of every table the
user owns, decrypted, audited, nothing of anyone else), deletion (every row in every schema
gone, the data key destroyed, one audit entry without personal data left, others untouched),
and the consent ledger (history, defaults, job-side consent list, email delivery honours it)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import numpy as np
import psycopg
import pytest
from privacy_data import owner_counts, simulate_categorizer

from core import audit, consents, privacy
from core.admin_ops import keyring
from core.auth import InvalidCredentials
from core.crypto import user_cipher
from core.demo_data import generate_household
from core.demo_seed import load_household
from jobs import pipeline
from jobs.embedding_store import DbEmbeddingCache, cache_key, prune_unowned, record_owners
from jobs.queue import enqueue_users, make_app
from jobs.scheduler import make_scheduler
from ml.text import merchant_key

SCHEMAS = ("public", "pipeline", "private", "analytics", "ml_cache")
NOTE = "Birthday present for Jo — keep it secret"
IBAN = "NL91ABNA0417164300"
RAW = "2026-10-02;ACME CORP;-12,50;raw line as in the file"


@pytest.fixture
def rich_user(db, make_user, settings, auth):
    """A user with rows in (nearly) every table, made through the product's own paths."""

    def _make(name: str, seed: int, marker: str):
        made = make_user(name=name)
        user = made.user
        auth.sign_in(made.email, made.password)  # a login audit entry
        with db.user_session(user) as conn:
            load_household(conn, user, generate_household(seed=seed, months=3))
            cipher = user_cipher(conn, user.id, keyring(settings))
            account, tx = conn.execute("select account_id, id from transactions order by date desc, id"
                                       " limit 1").fetchone()
            conn.execute("update accounts set account_number_enc = %s where id = %s",
                         [cipher.encrypt(IBAN, "account_number"), account])
            conn.execute("update transactions set notes_enc = %s, raw_enc = %s, description = %s"
                         " where id = %s", [cipher.encrypt(NOTE, "notes"),
                                            cipher.encrypt(RAW, "raw_line"), marker, tx])
            conn.execute("insert into import_batches (account_id, filename, file_format)"
                         " values (%s, 'statement.csv', 'csv')", [account])
            conn.execute("insert into import_mappings (account_id, layout_signature)"
                         " values (%s, 'csv:privacy-test')", [account])
            conn.execute("insert into transaction_splits (transaction_id, amount)"
                         " values (%s, -1.00)", [tx])
            conn.execute("insert into user_secrets (name, value_enc) values ('notes_search', %s)",
                         [cipher.encrypt("00ff", "notes_search")])
            conn.execute("insert into rules (name, conditions) values ('Coffee', %s)",
                         [json.dumps([{"field": "description", "op": "contains", "value": "COFFEE"}])])
            conn.execute("insert into notification_prefs (email_enabled) values (true)")
            conn.execute("insert into anomaly_verdicts (kind, verdict) values ('amount_spike', 'expected')")
            consents.set_consent(conn, user, "model_training", True)
        simulate_categorizer(db, user)
        pipeline.run_user(db, settings, user.id)
        return made

    return _make


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_export_has_every_owned_table_decrypted_audited_and_nobody_else(db, rich_user) -> None:
    a, b = rich_user("alice", 7, "ALICE-MARKER-CAFE"), rich_user("bob", 8, "BOB-ONLY-GARAGE")
    counts = owner_counts(db, a.user.id, ("public",))
    with_rows = {t.removeprefix("public.") for t, n in counts.items() if n}
    assert {"transactions", "accounts", "categories", "rules", "corrections", "consents", "audit_log",
            "monthly_features", "anomaly_verdicts", "notification_prefs", "user_keys",
            "profiles"} <= with_rows
    data = privacy.export_user_data(db, a.user)
    zf = _zip(data)
    names = set(zf.namelist())
    manifest = json.loads(zf.read("manifest.json"))
    for table, n in counts.items():
        table = table.removeprefix("public.")
        assert {f"csv/{table}.csv", f"json/{table}.json"} <= names, table
        records = json.loads(zf.read(f"json/{table}.json"))
        assert len(records) == n == manifest["tables"][table], table
        csv_lines = zf.read(f"csv/{table}.csv").decode().count("\n")
        assert csv_lines >= n + 1, table  # header + rows (quoted fields may span lines)
    accounts = json.loads(zf.read("json/accounts.json"))
    assert IBAN in [r["account_number"] for r in accounts]
    tx = json.loads(zf.read("json/transactions.json"))
    marked = next(r for r in tx if r["description"] == "ALICE-MARKER-CAFE")
    assert marked["notes"] == NOTE and marked["raw_line"] == RAW
    assert not any(k.endswith("_enc") for r in tx[:1] for k in r)
    keys = json.loads(zf.read("json/user_keys.json"))
    assert keys[0]["wrapped_key"] == privacy.WITHHELD_TEXT
    secrets = json.loads(zf.read("json/user_secrets.json"))
    assert secrets[0]["value_enc"] == privacy.WITHHELD_TEXT
    assert NOTE in zf.read("csv/transactions.csv").decode()
    assert "Correct-Horse" not in data.decode("latin-1")  # no password, no hash material
    everything = "".join(zf.read(n).decode() for n in names)
    for secret in (str(b.user.id), b.email, "BOB-ONLY-GARAGE"):
        assert secret not in everything
    with db.user_session(a.user) as conn:
        entries = audit.recent(conn, 5)
    assert entries[0]["action"] == "data_export"
    assert entries[0]["detail"] == {"tables": len(counts), "rows": sum(counts.values())}


def test_export_of_a_new_user_creates_no_key(db, make_user) -> None:
    made = make_user()
    zf = _zip(privacy.export_user_data(db, made.user))
    assert json.loads(zf.read("json/user_keys.json")) == []
    assert json.loads(zf.read("json/transactions.json")) == []
    assert len(json.loads(zf.read("json/categories.json"))) > 50  # the default taxonomy


def test_every_schema_with_user_rows_is_wiped_by_deletion(db) -> None:
    with db.owner_connection() as conn:
        schemas = {r[0] for r in conn.execute("""
            select distinct n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped
            where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'auth')
            """)}
        covered = set(conn.execute("select private.user_data_schemas()").fetchone()[0])
    assert schemas <= covered == set(SCHEMAS)


def test_deletion_removes_every_row_and_the_key_and_leaves_one_clean_audit_entry(
        db, rich_user, auth) -> None:
    a, b = rich_user("carol", 9, "CAROL-MARKER"), rich_user("dave", 10, "DAVE-MARKER")
    app = make_app(db)
    with app.open():
        enqueue_users(app, [str(a.user.id), str(b.user.id)])
    before_a, before_b = owner_counts(db, a.user.id, SCHEMAS), owner_counts(db, b.user.id, SCHEMAS)
    assert before_a["public.user_keys"] == 1 and before_a["private.local_credentials"] == 1
    assert before_a["pipeline.job_runs"] > 0 and before_a["public.audit_log"] >= 3
    assert sum(1 for n in before_a.values() if n) >= 15
    with pytest.raises(privacy.DeletionRefused):
        privacy.delete_account(db, a.user, "carol")
    with pytest.raises(psycopg.errors.InvalidParameterValue), db.user_session(a.user) as conn:
        conn.execute("select private.delete_my_account(%s)", [b.email])  # the database checks too
    assert owner_counts(db, a.user.id, SCHEMAS) == before_a

    result = privacy.delete_account(db, a.user, f"  {a.email.upper()} ")
    assert result["key_destroyed"] is True
    after_a = owner_counts(db, a.user.id, SCHEMAS)
    assert {t: n for t, n in after_a.items() if n} == {"public.audit_log": 1}
    assert owner_counts(db, b.user.id, SCHEMAS) == before_b
    with db.owner_connection() as conn:
        row = conn.execute("select actor_id, action, detail::text from audit_log where user_id = %s",
                           [str(a.user.id)]).fetchone()
        assert conn.execute("select count(*) from auth.users where id = %s",
                            [str(a.user.id)]).fetchone()[0] == 0
        assert conn.execute("select count(*) from audit_log where actor_id = %s",
                            [str(a.user.id)]).fetchone()[0] == 0
        queued = conn.execute("select args ->> 'user_id' from procrastinate.procrastinate_jobs"
                              " where status = 'todo'").fetchall()
    assert row[0] is None and row[1] == "account_deleted"
    assert a.email not in row[2] and "carol" not in row[2].lower()
    assert json.loads(row[2]) == {"rows_deleted": result["rows_deleted"], "tables": result["tables"],
                                  "key_destroyed": True}
    assert (str(a.user.id),) not in queued and (str(b.user.id),) in queued
    with pytest.raises(InvalidCredentials):
        auth.sign_in(a.email, a.password)
    assert auth.restore(auth.session_token(a.user)) is None
    # the append-only rule still holds for everyone else, the owner included
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.owner_connection() as conn:
        conn.execute("delete from audit_log where user_id = %s", [str(b.user.id)])


def test_deletion_erases_cached_embeddings_nobody_else_uses(db, make_user, settings) -> None:
    """The categorization job records whose transactions use which cached embedding; deleting
    an account drops the entries only that account used (for every model) and keeps the
    ones another user's transactions still need."""
    a, b = make_user(name="erin"), make_user(name="frank")
    # a dozen shops only erin has (other tests' users share the demo merchants), left for the
    # categorizer to decide
    word = "".join(chr(97 + int(h, 16)) for h in uuid.uuid4().hex[:10])
    unique = {merchant_key(f"Card purchase {word} shop {chr(97 + i)}{chr(97 + i)}")
              for i in range(12)}
    for made, seed in ((a, 11), (b, 12)):
        with db.user_session(made.user) as conn:
            load_household(conn, made.user, generate_household(seed=seed, months=2))
            if made is a:
                ids = [r[0] for r in conn.execute("select id from transactions order by id limit 12")]
                for i, tx in enumerate(ids):
                    # no merchant of the demo's left on the row: it would be read in front
                    # of the new line (ml.row_inputs.lines_read), another embedding key
                    conn.execute("update transactions set category_id = null, category_source = null,"
                                 " description = %s, merchant = null where id = %s",
                                 [f"Card purchase {word} shop {chr(97 + i)}{chr(97 + i)}", tx])
        pipeline.run_user(db, settings, made.user.id)  # the real categorizer embeds and records

    def owned(user, others: bool = False) -> set[tuple[str, bytes]]:
        with db.owner_connection() as conn:
            return {(m, bytes(k)) for m, k in conn.execute(
                "select model, key from ml_cache.embedding_owners where (user_id = %s) <> %s",
                [str(user.id), others])}

    def cached(entries: set[tuple[str, bytes]]) -> int:
        with db.owner_connection() as conn:
            return sum(conn.execute("select count(*) from ml_cache.embeddings"
                                    " where model = %s and key = %s", [m, k]).fetchone()[0]
                       for m, k in entries)

    mine, theirs = owned(a.user), owned(b.user)
    only_mine, both = mine - owned(a.user, others=True), mine & theirs
    assert {(settings.embedding_model, cache_key(settings.embedding_model, t)) for t in unique} \
        <= only_mine
    assert len(both) > 10  # two demo households share many merchants
    assert cached(mine) == len(mine)  # every recorded entry is in the cache
    privacy.delete_account(db, a.user, a.email)
    assert owned(a.user) == set() and owned(b.user) == theirs
    assert cached(only_mine) == 0 and cached(both) == len(both)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.job_session() as conn:
        conn.execute("delete from ml_cache.embeddings")  # nobody deletes entries by hand
    for table in ("embedding_owners", "embeddings"):  # the app role has no access at all
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.app_session() as conn:
            conn.execute(f"select * from ml_cache.{table}")


def test_nightly_prune_drops_only_old_entries_nobody_recorded(db, make_user, settings) -> None:
    user = make_user(name="gina").user
    word = "".join(chr(97 + int(h, 16)) for h in uuid.uuid4().hex[:10])
    old_owned, old_orphan, new_orphan = (f"{word} {k}" for k in ("kept", "gone", "young"))
    DbEmbeddingCache(db, settings.embedding_model).put_many(
        {t: np.ones(384, dtype=np.float32) for t in (old_owned, old_orphan, new_orphan)})
    record_owners(db, user.id, settings.embedding_model, {old_owned})
    keys = {t: cache_key(settings.embedding_model, t) for t in (old_owned, old_orphan, new_orphan)}
    with db.owner_connection() as conn:
        conn.execute("update ml_cache.embeddings set created_at = now() - interval '3 days'"
                     " where key = any(%s)", [[keys[old_owned], keys[old_orphan]]])
    assert prune_unowned(db) >= 1
    with db.owner_connection() as conn:
        left = {bytes(r[0]) for r in conn.execute(
            "select key from ml_cache.embeddings where key = any(%s)", [list(keys.values())])}
    assert left == {keys[old_owned], keys[new_orphan]}
    job = make_scheduler(db, make_app(db), 15).get_job("embedding-prune")
    assert job is not None and "hour='2'" in str(job.trigger) and "minute='45'" in str(job.trigger)


def test_consent_ledger_history_defaults_and_append_only(db, make_user) -> None:
    u, other = make_user().user, make_user().user
    with db.user_session(u) as conn:
        state = consents.current(conn)
        assert {k: (s.granted, s.at) for k, s in state.items()} == {
            "model_training": (False, None), "email_alerts": (False, None)}
        assert not consents.set_consent(conn, u, "email_alerts", False)  # already off: no row
        assert consents.set_consent(conn, u, "email_alerts", True)
        assert not consents.set_consent(conn, u, "email_alerts", True)
        assert consents.set_consent(conn, u, "model_training", True)
        assert consents.set_consent(conn, u, "email_alerts", False)
        assert consents.has_consent(conn, "model_training") and not consents.has_consent(conn, "email_alerts")
        ledger = consents.history(conn)
        state = consents.current(conn)
        with pytest.raises(ValueError):
            consents.set_consent(conn, u, "sell_my_data", True)
    assert ledger[["purpose", "granted"]].values.tolist() == [
        ["email_alerts", False], ["model_training", True], ["email_alerts", True]]
    assert set(ledger["version"]) == {consents.PURPOSES["email_alerts"].version}
    assert ledger["when"].is_monotonic_decreasing
    assert state["email_alerts"].at == ledger["when"].iloc[0]
    for statement in ("update consents set granted = true", "delete from consents"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.user_session(u) as conn:
            conn.execute(statement)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.user_session(u) as conn:
        conn.execute("insert into consents (user_id, purpose, granted, version) values (%s, 'x', true, '1')",
                     [str(other.id)])
    with db.user_session(u) as conn:
        actions = [e["action"] for e in audit.recent(conn, 10)]
    assert actions.count("consent_changed") == 3
    with db.job_session() as conn:
        training = consents.consenting_user_ids(conn)
        emailing = consents.consenting_user_ids(conn, "email_alerts")
    assert u.id in training and other.id not in training and u.id not in emailing
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.user_session(u) as conn:
        conn.execute("select * from pipeline.consenting_users('model_training')")


def test_email_alerts_need_the_consent(db, make_user, settings) -> None:
    """Same household, email on for both: only the consenting user gets email deliveries, and a
    pending email is not sent once the consent is withdrawn."""
    users = [make_user(name=n).user for n in ("consents", "declines")]
    for user in users:
        with db.user_session(user) as conn:
            load_household(conn, user, generate_household(seed=7, months=12))
            conn.execute("insert into notification_prefs (email_enabled) values (true)")
    with db.user_session(users[0]) as conn:
        consents.set_consent(conn, users[0], "email_alerts", True)
    for user in users:
        pipeline.run_user(db, settings, user.id)  # no SMTP host: emails stay pending for a retry
    channels = []
    for user in users:
        with db.user_session(user) as conn:
            channels.append({r[0] for r in conn.execute("select channel from alert_deliveries")})
    assert "email" in channels[0] and "email" not in channels[1]
    with db.user_session(users[0]) as conn:
        consents.set_consent(conn, users[0], "email_alerts", False)
    with db.job_user_session(users[0].id) as conn:  # the retry is due now
        conn.execute("set local role pfm_job_worker")
        conn.execute("update alert_deliveries set next_attempt_at = now() where user_id = %s",
                     [str(users[0].id)])
    pipeline.run_user(db, settings, users[0].id, only={"deliver"})
    with db.user_session(users[0]) as conn:
        emails = conn.execute("select status, last_error from alert_deliveries where channel = 'email'"
                              ).fetchall()
    assert emails and all(s == "failed" and "consent" in e for s, e in emails)

