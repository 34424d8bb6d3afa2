//! The command line and environment of every binary of this workspace, and
//! the start-up they share (logging, opening stores, serving HTTP).
//!
//! | flag | variable | default |
//! | --- | --- | --- |
//! | `--listen ADDR` | `SQUALL_LISTEN` | `127.0.0.1:8080` |
//! | `--database-url URL` | `SQUALL_DATABASE_URL` | `data/<context>.db` (a service), `data` (the host: one file per context in it) |
//! | `--nats-url URL` | `SQUALL_NATS_URL` | none: the in-process bus |
//!
//! A `postgres://` database URL keeps each context in a schema of its own,
//! named after the context (`schema_prefix=` in the URL puts a prefix before
//! it; a service also takes `schema=` for its context's schema). A
//! `nats://` URL selects NATS JetStream, with the stream and subject prefix
//! as `?stream=NAME&subject_prefix=PREFIX`. Both need the workspace's cargo
//! features (`postgres`, `nats`); a build without them refuses such URLs.
//!
//! A flag wins over its variable. The parser is written out here rather than
//! taken from a crate: three flags do not earn a dependency.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;

use squall_runtime::{NatsUrl, Store, StoreError, context_store_url, is_postgres_url};

/// What a binary is started with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where HTTP is served.
    pub listen: SocketAddr,
    /// Where the events are stored (see the module docs).
    pub database_url: Option<String>,
    /// The bus between contexts, if not in-process.
    pub nats_url: Option<String>,
    /// A subcommand (`replay`), if one was given.
    pub command: Option<String>,
}

/// How a binary describes itself in `--help`.
pub struct Usage {
    /// The binary's name.
    pub program: &'static str,
    /// One line on what it runs.
    pub about: &'static str,
    /// Subcommands it accepts, with a line each.
    pub commands: &'static [(&'static str, &'static str)],
}

/// Why the command line did not give a [`Config`].
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigExit {
    /// `--help` was asked for: print this and succeed.
    Help(String),
    /// A usage error: print this and fail.
    Error(String),
}

/// The default listening address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Config {
    /// Reads the process's arguments and environment.
    pub fn from_process(usage: &Usage) -> Result<Config, ConfigExit> {
        Config::parse(usage, std::env::args().skip(1), |name| std::env::var(name).ok())
    }

    /// Parses `args` (without the program name), looking variables up with
    /// `env`.
    pub fn parse(
        usage: &Usage,
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigExit> {
        let mut listen = env("SQUALL_LISTEN");
        let mut database_url = env("SQUALL_DATABASE_URL");
        let mut nats_url = env("SQUALL_NATS_URL");
        let mut command = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            let slot = match flag.as_str() {
                "-h" | "--help" => return Err(ConfigExit::Help(help(usage))),
                "--listen" => &mut listen,
                "--database-url" => &mut database_url,
                "--nats-url" => &mut nats_url,
                other if other.starts_with('-') => {
                    return Err(ConfigExit::Error(format!("unknown option `{other}`; see --help")));
                }
                other => {
                    if command.is_some() || !usage.commands.iter().any(|(name, _)| *name == other) {
                        return Err(ConfigExit::Error(format!("unexpected argument `{other}`; see --help")));
                    }
                    command = Some(other.to_owned());
                    continue;
                }
            };
            let value = match inline.or_else(|| args.next()) {
                Some(value) if !value.is_empty() => value,
                _ => return Err(ConfigExit::Error(format!("`{flag}` needs a value"))),
            };
            *slot = Some(value);
        }
        let listen_text = listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| ConfigExit::Error(format!("cannot listen on `{listen_text}`: expected HOST:PORT")))?;
        check_backends(database_url.as_deref(), nats_url.as_deref()).map_err(ConfigExit::Error)?;
        Ok(Config { listen, database_url, nats_url, command })
    }
}

/// Refuses, before anything starts, URLs this build cannot serve: each
/// backend is a cargo feature, and the message names it.
fn check_backends(database_url: Option<&str>, nats_url: Option<&str>) -> Result<(), String> {
    // URLs are not echoed: they may carry passwords.
    if database_url.is_some_and(is_postgres_url) && !cfg!(feature = "postgres") {
        return Err("--database-url names PostgreSQL, which this build leaves out: \
                    rebuild with the cargo feature `postgres` (`cargo build --features postgres`)"
            .into());
    }
    if let Some(url) = nats_url.filter(|u| !u.is_empty()) {
        if !cfg!(feature = "nats") {
            return Err("--nats-url names NATS JetStream, which this build leaves out: \
                        rebuild with the cargo feature `nats` (`cargo build --features nats`)"
                .into());
        }
        NatsUrl::parse(url).map_err(|e| format!("--nats-url: {e}"))?;
    }
    Ok(())
}

fn help(usage: &Usage) -> String {
    let mut text = format!(
        "{about}\n\nUsage: {program} [OPTIONS]{sub}\n\nOptions:\n  \
         --listen <ADDR>        where to serve HTTP [env: SQUALL_LISTEN] [default: {DEFAULT_LISTEN}]\n  \
         --database-url <URL>   where to store events: a SQLite path, or postgres://… [env: SQUALL_DATABASE_URL]\n  \
         --nats-url <URL>       the bus between contexts: nats://… [env: SQUALL_NATS_URL] [default: in-process]\n  \
         -h, --help             print this help\n",
        about = usage.about,
        program = usage.program,
        sub = if usage.commands.is_empty() { "" } else { " [COMMAND]" },
    );
    if !usage.commands.is_empty() {
        text.push_str("\nCommands:\n");
        for (name, about) in usage.commands {
            text.push_str(&format!("  {name:<22} {about}\n"));
        }
    }
    text
}

/// Starts logging to standard error at the level `SQUALL_LOG` names
/// (`error`, `warn`, `info`, `debug`, `trace`; default `info`).
pub fn init_logging() {
    let level = std::env::var("SQUALL_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).try_init();
}

/// The store of one context, as its service opens it: `url`, by default
/// `data/<stem>.db`; on PostgreSQL, in the schema named after the context
/// (see the module docs).
pub async fn open_context_store(url: Option<&str>, stem: &str) -> Result<Store, StoreError> {
    match url {
        Some(url) if is_postgres_url(url) => Store::open(&context_store_url(url, stem)?).await,
        Some(url) => open_file(url).await,
        None => open_file(&format!("data/{stem}.db")).await,
    }
}

/// The stores of the contexts named by `stems`, for a process that runs all
/// of them: on PostgreSQL, one schema each in the database `url` names; else
/// one SQLite file each, `<stem>.db`, in the directory `url` names.
pub async fn open_stores(url: &str, stems: &[&str]) -> Result<Vec<Store>, StoreError> {
    let mut stores = Vec::with_capacity(stems.len());
    if is_postgres_url(url) {
        let urls = stems.iter().map(|stem| context_store_url(url, stem)).collect::<Result<Vec<_>, _>>()?;
        if urls.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(StoreError::UnsupportedUrl(
                "`schema=` would put every context in one schema; give `schema_prefix=` instead".into(),
            ));
        }
        for url in urls {
            stores.push(Store::open(&url).await?);
        }
        return Ok(stores);
    }
    let dir = Path::new(url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url));
    for stem in stems {
        stores.push(open_file(&dir.join(format!("{stem}.db")).to_string_lossy()).await?);
    }
    Ok(stores)
}

/// The SQLite store at `url` (`sqlite://path`, `sqlite:path`, or a path),
/// creating the directory of the file.
async fn open_file(url: &str) -> Result<Store, StoreError> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if !path.contains("://") {
        create_parent(Path::new(path))?;
    }
    Store::open(url).await
}

fn create_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", parent.display()))),
        _ => Ok(()),
    }
}

/// Serves `router` on `listen` until Ctrl-C.
pub async fn serve(listen: SocketAddr, router: axum::Router) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    tracing::info!("listening on http://{local}");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const USAGE: Usage = Usage { program: "host", about: "test", commands: &[("replay", "rebuild")] };

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigExit> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Config::parse(&USAGE, args.iter().map(|a| (*a).to_owned()), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn flags_win_over_variables() {
        let c = parse(&["--listen", "127.0.0.1:9000"], &[("SQUALL_LISTEN", "127.0.0.1:9001")]).unwrap();
        assert_eq!(c.listen.port(), 9000);
        let c = parse(&[], &[("SQUALL_LISTEN", "127.0.0.1:9001"), ("SQUALL_DATABASE_URL", "x")]).unwrap();
        assert_eq!((c.listen.port(), c.database_url.as_deref()), (9001, Some("x")));
        let c = parse(&["--database-url=db", "replay"], &[]).unwrap();
        assert_eq!((c.database_url.as_deref(), c.command.as_deref()), (Some("db"), Some("replay")));
        assert_eq!(parse(&[], &[]).unwrap().listen.port(), 8080);
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        assert!(matches!(parse(&["--nope"], &[]), Err(ConfigExit::Error(_))));
        assert!(matches!(parse(&["--listen"], &[]), Err(ConfigExit::Error(_))));
        assert!(matches!(parse(&["--listen", "nowhere"], &[]), Err(ConfigExit::Error(_))));
        assert!(matches!(parse(&["serve"], &[]), Err(ConfigExit::Error(_))));
        assert!(matches!(parse(&["--nats-url", "nats://x?stream=a.b"], &[]), Err(ConfigExit::Error(_))));
        assert!(matches!(parse(&["--help"], &[]), Err(ConfigExit::Help(_))));
    }

    #[test]
    fn backends_left_out_of_the_build_are_refused_by_name() {
        let postgres = parse(&["--database-url", "postgres://u:secret@h/db"], &[]);
        let nats = parse(&[], &[("SQUALL_NATS_URL", "nats://127.0.0.1:4222?stream=S")]);
        for (outcome, feature, enabled) in
            [(postgres, "`postgres`", cfg!(feature = "postgres")), (nats, "`nats`", cfg!(feature = "nats"))]
        {
            match outcome {
                Ok(_) => assert!(enabled, "{feature} is not in this build"),
                Err(ConfigExit::Error(message)) => {
                    assert!(!enabled && message.contains(feature) && !message.contains("secret"), "{message}");
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        assert!(parse(&["--database-url", "sqlite://data/x.db"], &[("SQUALL_NATS_URL", "")]).is_ok());
    }
}
