//! `squall completions SHELL`: a completion script for a shell.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, Context, Exit, print_stdout};

const EXAMPLES: &str = "\
Examples:
  squall completions bash > ~/.local/share/bash-completion/completions/squall
  squall completions zsh > ~/.zfunc/_squall
  squall completions fish > ~/.config/fish/completions/squall.fish";

/// Print a shell completion script
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args, _ctx: &Context<'_>) -> Exit {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "squall", &mut script);
    print_stdout(&String::from_utf8_lossy(&script))
}
