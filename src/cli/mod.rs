//! The command line: a thin shell over the library.

use std::process::ExitCode;

/// Runs the command line and returns the process's exit code.
pub fn run() -> ExitCode {
    ExitCode::SUCCESS
}
