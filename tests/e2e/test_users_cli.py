"""Operators invite users, list them, change their role, disable them, and make teams: `undersign user|team`,
as real processes, each act in the tenant's audit log under the operator's name."""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.test_cli import run


def test_users_are_invited_listed_given_a_role_and_disabled(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    ada = json.loads(run(tmp_path, "user", "invite", "acme", "Ada@Example.com", "--name", "Ada", "--role", "admin",
                         "--json").stdout)
    assert ada["email"] == "ada@example.com" and ada["role"] == "admin" and ada["tenant"] == "acme"
    assert ada["disabled_at"] is None and ada["team_ids"] == []
    assert "invited" in run(tmp_path, "user", "invite", "acme", "bob@example.com", "--name", "Bob").stdout

    duplicate = run(tmp_path, "user", "invite", "acme", "ADA@example.com", "--name", "Ada", check=False)
    assert duplicate.returncode != 0 and "already exists" in duplicate.stderr
    unknown = run(tmp_path, "user", "list", "initech", check=False)
    assert unknown.returncode != 0 and "no tenant" in unknown.stderr

    listed = json.loads(run(tmp_path, "user", "list", "acme", "--json").stdout)
    assert [u["email"] for u in listed["users"]] == ["ada@example.com", "bob@example.com"]
    bob = listed["users"][1]
    assert bob["role"] == "sender"

    changed = json.loads(run(tmp_path, "user", "role", "acme", bob["id"], "viewer", "--json").stdout)
    assert changed["role"] == "viewer"
    bad_role = run(tmp_path, "user", "role", "acme", bob["id"], "emperor", check=False)
    assert bad_role.returncode != 0

    disabled = json.loads(run(tmp_path, "user", "disable", "acme", bob["id"], "--json").stdout)
    again = json.loads(run(tmp_path, "user", "disable", "acme", bob["id"], "--json").stdout)
    assert disabled["disabled_at"] is not None and again["disabled_at"] == disabled["disabled_at"]

    text = run(tmp_path, "user", "list", "acme").stdout
    assert f"{ada['id']}  admin    active    ada@example.com  Ada" in text
    assert f"{bob['id']}  viewer   disabled  bob@example.com  Bob" in text


def test_teams_are_made_listed_and_joined_and_the_audit_log_names_the_operator(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    ada = json.loads(run(tmp_path, "user", "invite", "acme", "ada@example.com", "--name", "Ada", "--json").stdout)
    assert "no teams" in run(tmp_path, "team", "list", "acme").stdout
    legal = json.loads(run(tmp_path, "team", "create", "acme", "Legal", "--json").stdout)
    assert legal["name"] == "Legal" and legal["tenant"] == "acme"
    taken = run(tmp_path, "team", "create", "acme", "Legal", check=False)
    assert taken.returncode != 0 and "already exists" in taken.stderr

    member = json.loads(run(tmp_path, "team", "add", "acme", legal["id"], ada["id"], "--json").stdout)
    assert member["team_ids"] == [legal["id"]]
    missing = run(tmp_path, "team", "add", "acme", "no-such-team", ada["id"], check=False)
    assert missing.returncode != 0 and "no team" in missing.stderr

    listed = json.loads(run(tmp_path, "team", "list", "acme", "--json").stdout)
    assert listed["teams"] == [{k: legal[k] for k in ("id", "name", "created_at")}]
    assert f"{legal['id']}  Legal" in run(tmp_path, "team", "list", "acme").stdout

    with sqlite3.connect(tmp_path / "undersign.db") as database:
        rows = list(database.execute("SELECT type, actor FROM tenant_audit_entries ORDER BY seq"))
    assert [kind for kind, _ in rows] == ["UserInvited", "TeamCreated", "TeamMemberAdded"]
    assert all(actor.startswith("cli") for _, actor in rows)
    verdict = json.loads(run(tmp_path, "audit", "tenant", "acme", "--json").stdout)
    assert verdict["chain_valid"] is True and verdict["entries"] == 3


def test_an_operator_sets_a_password_never_on_the_command_line_and_the_policy_of_sign_ins(tmp_path):
    import os
    import subprocess

    from tests.e2e.test_cli import UNDERSIGN

    run(tmp_path, "tenant", "create", "acme")
    ada = json.loads(run(tmp_path, "user", "invite", "acme", "ada@example.com", "--name", "Ada", "--json").stdout)
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(tmp_path)}

    def set_password(password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [UNDERSIGN, "user", "set-password", "acme", "ada@example.com", "--password-stdin", "--json"],
            input=password + "\n", capture_output=True, text=True, env=env, timeout=120, check=False,
        )

    short = set_password("short")
    assert short.returncode != 0 and "12" in short.stderr and "short" not in short.stderr
    done = set_password("correct horse battery staple")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"tenant": "acme", "user_id": ada["id"], "password_set": True}
    assert "correct horse" not in done.stdout + done.stderr
    with sqlite3.connect(tmp_path / "undersign.db") as db:
        (stored,) = db.execute("SELECT password_hash FROM local_credentials").fetchone()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored

    policy = json.loads(run(tmp_path, "tenant", "sign-in-policy", "acme", "--require-mfa", "--json").stdout)
    assert policy == {"tenant": "acme", "just_in_time_users": False, "require_mfa": True}
    shown = json.loads(run(tmp_path, "tenant", "sign-in-policy", "acme", "--json").stdout)
    assert shown == policy


def test_an_operator_resets_a_second_factor_of_a_user_who_has_a_password_only(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    run(tmp_path, "user", "invite", "acme", "ada@example.com", "--name", "Ada")
    nobody = run(tmp_path, "user", "reset-second-factor", "acme", "ada@example.com", check=False)
    assert nobody.returncode != 0 and "signs in with a password" in nobody.stderr
