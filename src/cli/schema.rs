//! `squall schema`: the JSON Schema (draft-07) of the YAML format, which
//! editors read through yaml-language-server to complete and check models as
//! they are typed.

use super::{Context, Exit, print_error, print_stdout};

const EXAMPLES: &str = "\
Examples:
  squall schema > squall.schema.json

Then start a model with this line to get completion and checks in editors
that use yaml-language-server (VS Code's YAML extension, Neovim, Helix, …):
  # yaml-language-server: $schema=./squall.schema.json";

/// Print the JSON Schema of the YAML format, for editors
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {}

pub fn run(_args: Args, _ctx: &Context<'_>) -> Exit {
    match serde_json::to_string_pretty(&crate::syntax::yaml::schema::json_schema()) {
        Ok(mut text) => {
            text.push('\n');
            print_stdout(&text)
        }
        Err(e) => {
            print_error(&format!("cannot write the schema: {e}"));
            Exit::Usage
        }
    }
}
