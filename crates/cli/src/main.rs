//! `vps-publish`: parses flags, builds settings, calls the library, maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

mod publish;
use vps_access::AccessConfig;
use vps_server::admin::access::{PageRoute, ShareDuration};
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
    /// Print a link that opens one page (and only what it shows) without a login, until it
    /// expires. Needs no running server: it is signed with the key in the data directory.
    Share {
        /// The page's route (`/work/plan`, or a URL of the site; `/` for the home page).
        #[arg(required_unless_present = "revoke_all", value_parser = PageRoute::parse)]
        route: Option<PageRoute>,
        /// How long the link works: 30m, 12h, 7d, 4w (at most 366 days).
        #[arg(long = "for", value_name = "DURATION", required_unless_present = "revoke_all")]
        valid_for: Option<ShareDuration>,
        /// Revoke every share link made before now (running servers follow within a second).
        #[arg(long, conflicts_with_all = ["route", "valid_for"])]
        revoke_all: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Who may read what (the `[access]` table of the settings file).
    Access {
        #[command(subcommand)]
        command: AccessCommand,
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

#[derive(Subcommand)]
enum AccessCommand {
    /// Say who may read the live page at a route and why, and whether one reader may. Exits
    /// with 0 when that reader may read it, 1 when not, 2 for an unknown route or reader.
    Check {
        /// The page's route (`/work/plan`, or a URL of the site; `/` for the home page).
        #[arg(value_parser = PageRoute::parse)]
        route: PageRoute,
        /// The reader (a name of `[access.readers]`); without it, an anonymous reader.
        #[arg(long = "as", value_name = "READER")]
        reader: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Args)]
struct DataArgs {
    /// The server's data directory [env: DATA_DIR] [default: ./data]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML settings file (for its data_dir, storage settings, BASE_URL and `[access]` table).
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

/// Exit codes: 0 stopped cleanly, 1 failed while running or starting, 2 bad configuration (or
/// an unknown route or reader), 7 `verify` found corrupt or missing blobs. `access check`: 0
/// allowed, 1 denied (or failed), 2 unknown route or reader.
const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_DAMAGED: u8 = 7;
const EXIT_DENIED: u8 = 1;

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
        Command::Share { route, valid_for, revoke_all, data } => with_store(&data, async |settings| {
            if revoke_all {
                let generation = admin::access::revoke_shares(settings)?;
                println!(
                    "revoked every share link made before now (share generation {generation}); servers on this \
                     data directory refuse them within a second"
                );
                return Ok(());
            }
            let (Some(route), Some(valid_for)) = (route, valid_for) else {
                unreachable!("clap requires a route and --for without --revoke-all")
            };
            let link = admin::access::share(settings, &route, valid_for, unix_now()).await?;
            for warning in &link.warnings {
                eprintln!("warning: {warning}");
            }
            eprintln!("valid until {}", vps_core::job::iso8601(link.expires_at_s.saturating_mul(1000)));
            println!("{}", link.url);
            Ok(())
        }),
        Command::Access { command: AccessCommand::Check { route, reader, data } } => {
            let settings = match data.resolve() {
                Ok(settings) => settings,
                Err(error) => return fail(EXIT_CONFIG, &error),
            };
            let access = access_config(&settings);
            let mut allowed = false;
            let code = run_admin(&settings, async |settings| {
                let check = admin::access::check(settings, access.as_deref(), &route, reader.as_deref()).await?;
                print_access_check(&check);
                allowed = check.verdict.allowed();
                Ok(())
            });
            if code != ExitCode::SUCCESS || allowed { code } else { ExitCode::from(EXIT_DENIED) }
        }
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
    match data.resolve() {
        Ok(settings) => run_admin(&settings, run),
        Err(error) => fail(EXIT_CONFIG, &error),
    }
}

fn run_admin(settings: &Settings, run: impl AsyncFnOnce(&Settings) -> Result<(), admin::AdminError>) -> ExitCode {
    use admin::AdminError;
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(
            error @ (AdminError::BadStoreSpec(_)
            | AdminError::BadRoute { .. }
            | AdminError::UnknownRoute { .. }
            | AdminError::UnknownReader { .. }
            | AdminError::NoDataDir(_)),
        ) => fail(EXIT_CONFIG, &error),
        Err(error) => fail(EXIT_RUNTIME, &error),
    }
}

/// The `[access]` table of the settings file, if any.
fn access_config(settings: &Settings) -> Option<Arc<AccessConfig>> {
    settings.access.config.clone()
}

fn print_access_check(check: &admin::access::AccessCheck) {
    use admin::access::CurrentRules;
    use vps_access::Audience;
    if let Some(asked) = &check.moved_from {
        println!("{asked} moved to {}", check.route);
    }
    println!("page: {} \"{}\" ({})", check.route, check.title, check.vault_path);
    let why = match &check.current {
        CurrentRules::Decided { decision, .. } if !check.is_stale() => {
            format!(" (by {})", admin::access::describe_reason(&decision.because))
        }
        CurrentRules::NoAccessTable { .. } if !check.is_stale() => " (the settings have no [access] table)".to_owned(),
        _ => " (as the live revision was built)".to_owned(),
    };
    println!("audience: {}{why}", check.audience.describe());
    println!("listed: {}", if check.unlisted { "no (unlisted: reachable by its URL only)" } else { "yes" });
    let who = match &check.audience {
        Audience::Public => "everyone, logged in or not".to_owned(),
        Audience::Readers => "any logged-in reader".to_owned(),
        Audience::Groups(groups) => {
            format!("readers in {}", groups.iter().map(String::as_str).collect::<Vec<_>>().join(" or "))
        }
    };
    let mut names = check.readers_allowed.join(", ");
    if check.readers_allowed_count > check.readers_allowed.len() {
        names.push_str(&format!(" and {} more", check.readers_allowed_count - check.readers_allowed.len()));
    }
    match check.readers_allowed_count {
        _ if check.audience.is_public() => println!("may read: {who}"),
        0 => println!("may read: {who} (no reader of the settings)"),
        _ => println!("may read: {who} ({names})"),
    }
    if check.is_stale() {
        match &check.current {
            CurrentRules::Decided { decision, frontmatter_known } => {
                let unlisted = if decision.access.unlisted { ", unlisted" } else { "" };
                println!(
                    "under the current rules: {}{unlisted} (by {})",
                    decision.access.audience.describe(),
                    admin::access::describe_reason(&decision.because)
                );
                if !frontmatter_known {
                    println!("  (this page was published before revisions kept its frontmatter: taken as none)");
                }
            }
            CurrentRules::NoAccessTable { unlisted } => {
                let unlisted = if *unlisted { ", unlisted" } else { "" };
                println!("under the current rules: public{unlisted} (the settings have no [access] table)");
            }
            CurrentRules::Invalid(why) => println!("under the current rules: the next publish fails: {why}"),
        }
        println!(
            "the live revision was built under other rules; a server applies these when it starts with them (or at \
             its next publish)"
        );
    }
    println!("{}: {}", check.reader.as_deref().unwrap_or("anonymous"), check.verdict);
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs())
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
