//! The vidkompy command line. It only translates arguments to library calls and results to text.

use std::process::ExitCode;

const USAGE: &str = "usage:
  vidkompy demo [-o DIR]     synthetic pair with known truth through the whole pipeline
  vidkompy --version";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") | Some("-V") => {
            println!("vidkompy {}", vidkompy::VERSION);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
