//! `squall explain CODE`: what a rule checks, why, an example and the fix
//! (the rule file's own documentation); `--list` lists every rule.

use super::{Context, Exit, print_stdout};
use crate::check;
use crate::diagnostics::{Code, Severity, suggest};

const EXAMPLES: &str = "\
Examples:
  squall explain unused-event
  squall explain squall::broken-flow      the code as diagnostics print it
  squall explain --list";

/// Explain a rule: what it checks, why, an example and the fix
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The rule's code, as diagnostics show it (`unused-event` or `squall::unused-event`)
    #[arg(value_name = "CODE", required_unless_present = "list", conflicts_with = "list")]
    code: Option<String>,

    /// List every rule with its severity
    #[arg(long)]
    list: bool,
}

pub fn run(args: Args, ctx: &Context<'_>) -> Exit {
    let Some(wanted) = args.code else {
        return print_stdout(&list());
    };
    match wanted.parse::<Code>() {
        Ok(code) => print_stdout(&format!("{}\n", check::documentation(code).trim_end())),
        Err(_) => {
            let bare = wanted.strip_prefix("squall::").unwrap_or(&wanted);
            let hint = suggest::did_you_mean(bare, Code::ALL.iter().map(|c| c.as_str()))
                .unwrap_or_else(|| "`squall explain --list` lists them".to_string());
            ctx.usage_error(format!("`{wanted}` is not a rule of squall; {hint}"))
        }
    }
}

/// One line per rule: code, severity, and the first sentence of its
/// documentation.
fn list() -> String {
    let width = Code::ALL.iter().map(|c| c.as_str().len()).max().unwrap_or(0);
    let mut out = String::new();
    for &code in Code::ALL {
        let severity = match code.default_severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("{:width$}  {severity:7}  {}\n", code.as_str(), summary(&check::documentation(code))));
    }
    out
}

/// The longest summary `--list` shows, in characters.
const SUMMARY_WIDTH: usize = 90;

/// The first sentence of the first paragraph after the title, cut at a word
/// when it is long, so that the list stays one line per rule.
fn summary(doc: &str) -> String {
    let paragraph: Vec<&str> = doc
        .lines()
        .skip_while(|l| l.trim().is_empty() || l.starts_with('#'))
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let text = paragraph.join(" ");
    let sentence = text.find(". ").map_or(text.as_str(), |end| &text[..=end]);
    // A sentence that introduces a list ends with a colon; alone, it ends.
    let sentence = match sentence.strip_suffix(':') {
        Some(intro) => format!("{intro}."),
        None => sentence.to_string(),
    };
    if sentence.chars().count() <= SUMMARY_WIDTH {
        return sentence;
    }
    let cut: String = sentence.chars().take(SUMMARY_WIDTH).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_take_the_first_sentence() {
        let doc = "# x (warning)\n\nChecks that a thing\nholds. More here.\n\n## Why\n";
        assert_eq!(summary(doc), "Checks that a thing holds.");
        assert_eq!(summary("# t\n"), "");
        assert_eq!(summary("# t\n\nChecks that names are unique:\n\n- a\n"), "Checks that names are unique.");
        let long = summary(&format!("# t\n\n{}\n", "word ".repeat(40)));
        assert!(long.ends_with("word…") && long.chars().count() <= SUMMARY_WIDTH + 1, "{long}");
    }

    #[test]
    fn the_list_names_every_code_once_with_its_severity() {
        let list = list();
        assert_eq!(list.lines().count(), Code::ALL.len());
        assert!(list.lines().any(|l| l.starts_with("syntax ") && l.contains(" error ")));
        assert!(list.lines().any(|l| l.starts_with("event-tense ") && l.contains(" warning ")));
    }
}
