//! The long run of a fuzz target: `vps-fuzz <target> <minutes>` runs the seeds, then generated
//! cases until that much wall-clock time has passed, and prints one summary line (cases run,
//! crashes, duration). Exit code 0 when no input broke a property, 1 otherwise, 2 on bad usage.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(target), Some(minutes)) = (args.first(), args.get(1).and_then(|m| m.parse::<f64>().ok())) else {
        eprintln!("usage: vps-fuzz <target> <minutes>; the targets are {}", vps_fuzz::TARGETS.join(", "));
        return ExitCode::from(2);
    };
    let mode = vps_fuzz::Mode::Long { duration: Duration::from_secs_f64(minutes * 60.0) };
    match vps_fuzz::run(target, mode) {
        Ok(summary) => {
            println!("{summary}");
            if summary.crashes == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
