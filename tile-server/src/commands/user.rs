//! `onemap user add|list|disable|token`: accounts and their tokens, written to the store
//! as `users` changes (so they are in the audit log like every other write).

use anyhow::{bail, Context};
use geo_core::access::token;
use geo_core::access::{Role, User};
use geo_core::codes::AdminCode;
use geo_core::store::{ChangeKind, ChangeSet, Store};

use super::open_store;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn find(store: &dyn Store, name: &str) -> anyhow::Result<User> {
    store
        .users()
        .await?
        .into_iter()
        .find(|u| u.name == name)
        .with_context(|| format!("no user named {name:?}"))
}

/// Issues a token for `user` and writes it; returns the token text (shown once).
async fn issue(store: &dyn Store, mut changes: ChangeSet, user: &str) -> anyhow::Result<String> {
    let issued = token::issue(user, "cli", now())?;
    changes.tokens.push(issued.record);
    store.apply(changes).await?;
    Ok(issued.token)
}

fn cli_change(summary: String) -> ChangeSet {
    ChangeSet {
        origin: "cli".into(),
        ..ChangeSet::new(ChangeKind::Users, "cli", summary)
    }
}

/// `user add NAME --role R --unit CODE`: creates the user and prints its first token.
#[allow(clippy::print_stdout)] // the token and the list are the command's output
pub async fn add(loc: &super::StoreLoc, name: &str, role: &str, unit: &str) -> anyhow::Result<()> {
    let role = Role::parse(role).with_context(|| {
        format!("unknown role {role:?} (viewer, operator, planner, gis or admin)")
    })?;
    let unit: AdminCode = unit
        .parse()
        .map_err(|e| anyhow::anyhow!("bad admin unit code {unit:?}: {e}"))?;
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        bail!("a user name is 1 to 64 printable characters");
    }
    let store = open_store(loc).await?;
    if store.users().await?.iter().any(|u| u.name == name) {
        bail!("user {name:?} exists (use `onemap user token {name}` for a new token)");
    }
    let mut changes = cli_change(format!("add user {name} ({}, {unit})", role.as_str()));
    changes.users.push(User {
        name: name.to_owned(),
        role,
        unit: Some(unit),
        disabled: false,
        created_at: now(),
    });
    let token = issue(store.as_ref(), changes, name).await?;
    say!("{token}");
    eprintln!("user {name} added; the token above is shown once, keep it");
    Ok(())
}

/// `user list`: one line per user.
#[allow(clippy::print_stdout)] // the token and the list are the command's output
pub async fn list(loc: &super::StoreLoc) -> anyhow::Result<()> {
    let store = open_store(loc).await?;
    for u in store.users().await? {
        let unit = u.unit.map(|c| c.to_string()).unwrap_or_default();
        let state = if u.disabled { "disabled" } else { "active" };
        say!("{}\t{}\t{unit}\t{state}", u.name, u.role.as_str());
    }
    Ok(())
}

/// `user disable NAME`: the user's tokens stop working.
pub async fn disable(loc: &super::StoreLoc, name: &str) -> anyhow::Result<()> {
    let store = open_store(loc).await?;
    let mut user = find(store.as_ref(), name).await?;
    user.disabled = true;
    let mut changes = cli_change(format!("disable user {name}"));
    changes.users.push(user);
    store.apply(changes).await?;
    eprintln!("user {name} disabled");
    Ok(())
}

/// `user token NAME`: issues a new token and prints it once.
#[allow(clippy::print_stdout)] // the token and the list are the command's output
pub async fn new_token(loc: &super::StoreLoc, name: &str) -> anyhow::Result<()> {
    let store = open_store(loc).await?;
    let user = find(store.as_ref(), name).await?;
    if user.disabled {
        bail!("user {name:?} is disabled");
    }
    let token = issue(
        store.as_ref(),
        cli_change(format!("new token for {name}")),
        name,
    )
    .await?;
    say!("{token}");
    Ok(())
}
