//! `vps-publish`: parses flags, builds settings, calls the library, maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod publish;
use vps_server::{Application, Overrides, Settings, admin};

/// A self-hosted publishing server for Obsidian vaults.
#[derive(Parser)]
#[command(name = "vps-publish", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (data in ./data, listening on 127.0.0.1:3000 unless told otherwise).
    Serve(ServeArgs),
    /// Publish a vault: only what changed travels; deleted notes leave the site.
    Publish(publish::PublishArgs),
    /// Hash a reader's password for the `[access]` table. Reads it from the terminal without
    /// echo (asked twice), or the first line of stdin when piped; prints the line
    /// `password = "$argon2id$..."` to paste under `[access.readers.NAME]`.
    Password,
    /// Write a commented starter `.vps-publish.toml` into a vault.
    Init {
        /// The vault's folder.
        vault: PathBuf,
    },
    /// List the published revisions, newest last; `*` marks the live one.
    Revisions(DataArgs),
    /// Serve an earlier revision (by default the one before the live one). Instant, and safe
    /// while the server runs: it follows within a second.
    Rollback {
        /// The revision to serve (see `vps-publish revisions`).
        revision: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Delete old revisions and the blobs nothing references any more. Stop the server first.
    Gc {
        /// How many of the newest revisions to keep (the live one is always kept).
        #[arg(long, default_value_t = 10)]
        keep: usize,
        /// Spare unreferenced blobs younger than this many seconds (they may belong to a session
        /// in progress on another server) [default: 0 on a filesystem, 3600 in a bucket]
        #[arg(long, value_name = "SECS")]
        min_age: Option<u64>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Copy blobs, revisions and the pointer from one store to another (fs → s3 and back).
    /// Resumable: what the target has is skipped. Every blob is hashed on its way.
    MigrateStore {
        /// The store to copy from: `fs:<data directory>` or `s3://<bucket>[/<prefix>]`.
        #[arg(long, value_name = "STORE")]
        from: String,
        /// The store to copy to (same forms). A bucket's endpoint, region and credentials come
        /// from the settings, as for `serve` (S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID…).
        #[arg(long, value_name = "STORE")]
        to: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Check every blob of every kept revision against its SHA-256 (both stores). Exits with 7
    /// when a blob is corrupt or missing. Safe while servers run.
    Verify {
        /// Move corrupt blobs out of the store (fs: <data>/quarantine/, bucket: quarantine/), so
        /// that servers answer 5xx or 404 for them instead of damaged bytes.
        #[arg(long)]
        quarantine: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Args)]
struct DataArgs {
    /// The server's data directory [env: DATA_DIR] [default: ./data]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML settings file (for its data_dir and storage settings).
    #[arg(long, env = "VPS_PUBLISH_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

impl DataArgs {
    /// The server's settings (file, environment, `--data-dir`): where its store is.
    fn resolve(&self) -> Result<Settings, vps_server::SettingsError> {
        let overrides = Overrides { data_dir: self.data_dir.clone(), ..Overrides::default() };
        Settings::load(self.config.as_deref(), |name| std::env::var(name).ok(), &overrides)
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML settings file; environment variables and flags override it.
    #[arg(long, env = "VPS_PUBLISH_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where blobs, sessions and the generated API key live [env: DATA_DIR] [default: ./data]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The port to listen on; 0 picks a free one [env: PORT] [default: 3000]
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// The address to listen on [env: HOST] [default: 127.0.0.1]
    #[arg(long, value_name = "ADDR")]
    host: Option<String>,
    /// Print the merged configuration (secrets redacted) and exit.
    #[arg(long)]
    print_config: bool,
}

/// Exit codes: 0 stopped cleanly, 1 failed while running or starting, 2 bad configuration,
/// 7 `verify` found corrupt or missing blobs.
const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_DAMAGED: u8 = 7;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Publish(args) => publish::run(args),
        Command::Password => match read_password().and_then(|password| Ok(vps_access::hash_password(&password)?)) {
            Ok(hash) => {
                println!("password = \"{hash}\"");
                ExitCode::SUCCESS
            }
            Err(error) => fail(EXIT_CONFIG, &*error),
        },
        Command::Init { vault } => match vps_publisher::write_starter(&vault) {
            Ok(path) => {
                println!("wrote {}; edit it, then run `vps-publish publish {}`", path.display(), vault.display());
                ExitCode::SUCCESS
            }
            Err(error) => fail(publish::exit::CONFIG, &error),
        },
        Command::Revisions(data) => with_store(&data, async |settings| {
            for revision in admin::list_revisions(settings).await? {
                let mark = if revision.current { "*" } else { " " };
                println!(
                    "{mark} {}  {}  {} pages  {} assets",
                    revision.id, revision.created_at, revision.pages, revision.assets
                );
            }
            Ok(())
        }),
        Command::Rollback { revision, data } => with_store(&data, async |settings| {
            let id = admin::rollback(settings, revision.as_deref()).await?;
            println!("now serving {id}");
            Ok(())
        }),
        Command::Gc { keep, min_age, data } => with_store(&data, async |settings| {
            let report = admin::gc(settings, keep, min_age.map(std::time::Duration::from_secs)).await?;
            println!(
                "removed {} revisions and {} blobs ({} bytes)",
                report.revisions_removed, report.blobs_removed, report.bytes_freed
            );
            if report.blobs_spared > 0 {
                println!("kept {} unreferenced blobs younger than --min-age", report.blobs_spared);
            }
            Ok(())
        }),
        Command::MigrateStore { from, to, data } => with_store(&data, async |settings| {
            let (from, to) = (admin::parse_store(&from, settings)?, admin::parse_store(&to, settings)?);
            let report = admin::migrate(&from, &to, &|line| println!("{line}")).await?;
            println!(
                "copied {} blobs ({} bytes) and {} revisions; {} blobs and {} revisions were there already",
                report.blobs_copied,
                report.bytes_copied,
                report.revisions_copied,
                report.blobs_present,
                report.revisions_present
            );
            Ok(())
        }),
        Command::Verify { quarantine, data } => {
            let mut clean = true;
            let code = with_store(&data, async |settings| {
                let report = admin::verify(settings, quarantine).await?;
                print_verify(&report);
                clean = report.is_clean();
                Ok(())
            });
            if clean { code } else { ExitCode::from(EXIT_DAMAGED) }
        }
    }
}

fn print_verify(report: &admin::VerifyReport) {
    println!(
        "checked {} blobs ({} bytes) of {} revisions: {} corrupt, {} missing",
        report.checked,
        report.bytes,
        report.revisions,
        report.corrupt(),
        report.missing()
    );
    for (id, why) in &report.unreadable_revisions {
        println!("unreadable revision {id}: {why}");
    }
    for bad in &report.bad {
        match &bad.damage {
            admin::Damage::Corrupt { actual } => {
                let moved = if bad.quarantined { "; moved to the quarantine" } else { "" };
                println!("corrupt {} (its bytes hash to {actual}){moved}", bad.hash);
            }
            admin::Damage::Missing => println!("missing {}", bad.hash),
        }
        for used in &bad.uses {
            println!("  used by {used}");
        }
        if bad.use_count > bad.uses.len() {
            println!("  and {} more uses", bad.use_count - bad.uses.len());
        }
    }
}

/// The password for `vps-publish password`: from the terminal (no echo, typed twice) when stdin
/// is one, else the first line of stdin (without its `\n` or `\r\n`). At most
/// `MAX_PASSWORD_BYTES + 2` bytes of stdin are read: a longer first line is refused unread.
fn read_password() -> Result<String, Box<dyn std::error::Error>> {
    use std::io::{IsTerminal, Read};
    let max = vps_access::MAX_PASSWORD_BYTES;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        return Ok(first);
    }
    let mut bytes = Vec::new();
    std::io::stdin().lock().take(max as u64 + 2).read_to_end(&mut bytes)?;
    let line = bytes.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > max {
        return Err(vps_access::AccessError::PasswordTooLong { max }.into());
    }
    Ok(String::from_utf8(line.to_vec()).map_err(|_| "the password is not UTF-8")?)
}

/// Runs an operator command on the store the settings name.
fn with_store(data: &DataArgs, run: impl AsyncFnOnce(&Settings) -> Result<(), admin::AdminError>) -> ExitCode {
    let settings = match data.resolve() {
        Ok(settings) => settings,
        Err(error) => return fail(EXIT_CONFIG, &error),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(&settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ admin::AdminError::BadStoreSpec(_)) => fail(EXIT_CONFIG, &error),
        Err(error) => fail(EXIT_RUNTIME, &error),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let overrides = Overrides { host: args.host, port: args.port, data_dir: args.data_dir };
    let settings = match Settings::load(args.config.as_deref(), |name| std::env::var(name).ok(), &overrides) {
        Ok(settings) => settings,
        Err(error) => return fail(EXIT_CONFIG, &error),
    };
    if args.print_config {
        print!("{}", settings.to_redacted_toml());
        return ExitCode::SUCCESS;
    }
    init_logging();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(error) => return fail(EXIT_RUNTIME, &error),
        };
        if let Some(key) = app.generated_api_key() {
            // Shown once, on the terminal, never through the log.
            println!(
                "Generated an API key (kept in the data directory, shown only this once):\n\n    {}\n",
                key.expose()
            );
        }
        tracing::info!("listening on http://{}", app.local_addr());
        app.run_until_stopped().await;
        ExitCode::SUCCESS
    })
}

/// `RUST_LOG` wins; otherwise the reference's `LOGGER_LEVEL`; otherwise `info`.
fn init_logging() {
    let filter = std::env::var("RUST_LOG").or_else(|_| std::env::var("LOGGER_LEVEL")).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn fail(code: u8, error: &dyn std::error::Error) -> ExitCode {
    eprintln!("error: {}", vps_core::error_chain::chain(error, "\n  caused by: "));
    ExitCode::from(code)
}
