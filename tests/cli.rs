//! The command line as users run it: the real binary, its exit codes, its
//! output on standard output and standard error, and its behaviour on bad
//! input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use squall::diagnostics::Code;

const SQUALL: &str = env!("CARGO_BIN_EXE_squall");

/// A small valid model with no warning.
const SHOP: &str = "\
system: Shop
actors:
  Clerk: { kind: person }
contexts:
  Sales:
    aggregates:
      Order:
        commands:
          PlaceOrder:
            actor: Clerk
            creates: true
            fields: { total: decimal }
            emits: [OrderPlaced]
        events:
          OrderPlaced: { fields: { total: decimal } }
";

/// The same model with an actor that issues nothing: one `unused-actor`
/// warning.
const SHOP_WITH_WARNING: &str = "\
system: Shop
actors:
  Clerk: { kind: person }
  Auditor: { kind: person }
contexts:
  Sales:
    aggregates:
      Order:
        commands:
          PlaceOrder:
            actor: Clerk
            creates: true
            emits: [OrderPlaced]
        events:
          OrderPlaced: {}
";

/// A model with one error: the read model is built from an event that does
/// not exist (a typo of `OrderPlaced`).
const SHOP_WITH_ERROR: &str = "\
system: Shop
actors:
  Clerk: { kind: person }
contexts:
  Sales:
    aggregates:
      Order:
        commands:
          PlaceOrder:
            actor: Clerk
            creates: true
            emits: [OrderPlaced]
        events:
          OrderPlaced: { fields: { total: decimal } }
    read_models:
      OrderList:
        from: [OrderPlacd]
        fields: { total: decimal }
";

/// How long bad input may take to be rejected. Generous, since the tests
/// run a debug build side by side; what it catches is a hang or a blow-up
/// (exponential expansion, quadratic reporting), which takes minutes.
const QUICK: Duration = Duration::from_secs(30);

struct Run {
    output: Output,
    elapsed: Duration,
}

impl Run {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Standard output and standard error together, for "says X somewhere".
    fn all(&self) -> String {
        self.stdout() + &self.stderr()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout(), self.stderr()))
    }

    /// Asserts the exit code and that nothing panicked.
    #[track_caller]
    fn expect(self, code: i32) -> Run {
        assert!(!self.stderr().contains("panicked"), "squall panicked:\n{}", self.stderr());
        assert_eq!(self.code(), code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }
}

fn squall_in(dir: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = Command::new(SQUALL);
    command.args(args).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env("COLUMNS", "100");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("the squall binary runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let bytes = bytes.to_vec();
        // squall may stop reading early (an oversized stream): a closed pipe
        // is expected then, so write from a thread and ignore the error.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let output = child.wait_with_output().expect("squall finishes");
    Run { output, elapsed: started.elapsed() }
}

fn squall(args: &[&str]) -> Run {
    squall_in(None, args, None)
}

fn squall_stdin(args: &[&str], stdin: &[u8]) -> Run {
    squall_in(None, args, Some(stdin))
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write a fixture");
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// The models shipped in `models/`, in YAML.
fn models() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("models/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "models/ holds no YAML model");
    found
}

// ---------------------------------------------------------------- check

#[test]
fn a_valid_model_checks_with_exit_0_and_a_summary() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP);
    let run = squall(&["check", path_str(&model)]).expect(0);
    let out = run.stdout();
    assert!(out.contains("✓") && out.contains("shop.yaml: valid"), "{out}");
    assert!(out.contains("1 context, 1 aggregate, 1 command, 1 event"), "{out}");
}

#[test]
fn the_shipped_models_check_without_errors_or_warnings() {
    for model in models() {
        let run = squall(&["check", "-D", "warnings", path_str(&model)]).expect(0);
        assert!(run.stdout().contains(": valid ("), "{}", run.stdout());
    }
}

#[test]
fn a_model_with_errors_exits_1_with_the_code_the_place_and_the_help() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP_WITH_ERROR);
    let run = squall(&["check", path_str(&model)]).expect(1);
    let out = run.stdout();
    assert!(out.contains("squall::unknown-reference"), "{out}");
    assert!(out.contains("OrderPlacd"), "{out}");
    assert!(out.contains("OrderPlaced"), "the help names the closest event:\n{out}");
    assert!(out.contains("shop.yaml: 1 error"), "{out}");
}

#[test]
fn several_files_are_checked_and_the_worst_outcome_is_the_exit_code() {
    let dir = temp();
    let good = write(dir.path(), "good.yaml", SHOP);
    let bad = write(dir.path(), "bad.yaml", SHOP_WITH_ERROR);
    let run = squall(&["check", path_str(&good), path_str(&bad)]).expect(1);
    assert!(run.stdout().contains("good.yaml: valid") && run.stdout().contains("bad.yaml: 1 error"));
    let missing = dir.path().join("missing.yaml");
    let run = squall(&["check", path_str(&good), path_str(&missing)]).expect(2);
    assert!(run.stdout().contains("good.yaml: valid"), "the readable file is still checked");
}

#[test]
fn json_output_lists_an_unreadable_file_as_an_io_error_in_its_place() {
    let dir = temp();
    let bad = write(dir.path(), "bad.yaml", SHOP_WITH_ERROR);
    let missing = dir.path().join("missing.yaml");
    let warned = write(dir.path(), "warned.yaml", SHOP_WITH_WARNING);
    let run = squall(&["check", "--format", "json", path_str(&bad), path_str(&missing), path_str(&warned)]).expect(2);
    let json = run.json();
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics is a list");
    let files: Vec<(&str, &str)> =
        diagnostics.iter().map(|d| (d["file"].as_str().unwrap_or(""), d["code"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        files,
        [(path_str(&bad), "unknown-reference"), (path_str(&missing), "io"), (path_str(&warned), "unused-actor")]
    );
    let io = &diagnostics[1];
    assert_eq!(io["severity"], "error");
    assert!(io["message"].as_str().is_some_and(|m| m.contains("no such file")), "{io}");
    assert_eq!((json["errors"].as_u64(), json["warnings"].as_u64()), (Some(2), Some(1)));
    // People running the command still see it on standard error.
    assert!(run.stderr().contains("missing.yaml"), "{}", run.stderr());
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP_WITH_ERROR);
    let run = squall(&["check", "--format", "json", path_str(&model)]).expect(1);
    let json = run.json();
    assert_eq!(json["version"], 1);
    assert_eq!(json["errors"], 1);
    assert_eq!(json["warnings"], 0);
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics is a list");
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(d["code"], "unknown-reference");
    assert_eq!(d["severity"], "error");
    assert!(d["message"].as_str().is_some_and(|m| m.contains("OrderPlacd")));
    assert!(d["file"].as_str().is_some_and(|f| f.ends_with("shop.yaml")));
    // `OrderPlacd` is on line 17, after `        from: [`.
    let offset = SHOP_WITH_ERROR.find("OrderPlacd").expect("fixture");
    assert_eq!(d["offset"], offset);
    assert_eq!(d["length"], "OrderPlacd".len());
    assert_eq!(d["line"], 17);
    assert_eq!(d["column"], 16);
    assert!(d["label"].is_string());
    assert!(d["help"].as_str().is_some_and(|h| h.contains("OrderPlaced")));
    assert!(d["related"].is_array());
    // Nothing but the JSON document on standard output.
    assert!(run.stdout().trim_start().starts_with('{'));
}

#[test]
fn json_output_of_a_valid_model_is_empty_and_exits_0() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP);
    let json = squall(&["check", "--format", "json", path_str(&model)]).expect(0).json();
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    assert_eq!(json["errors"], 0);
}

#[test]
fn standard_input_is_read_with_dash() {
    let run = squall_stdin(&["check", "-"], SHOP.as_bytes()).expect(0);
    assert!(run.stdout().contains("<stdin>: valid"), "{}", run.stdout());
    squall_stdin(&["check", "-"], SHOP_WITH_ERROR.as_bytes()).expect(1);
    // The DSL on standard input, as `fmt --to dsl` writes it.
    let dsl = squall_stdin(&["fmt", "--to", "dsl", "-"], SHOP.as_bytes()).expect(0).stdout();
    squall_stdin(&["check", "--syntax", "dsl", "-"], dsl.as_bytes()).expect(0);
    // Read as YAML by default, the DSL is not a model.
    squall_stdin(&["check", "-"], dsl.as_bytes()).expect(1);
}

#[test]
fn lint_levels_on_the_command_line() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP_WITH_WARNING);
    let path = path_str(&model);
    let run = squall(&["check", path]).expect(0);
    assert!(run.stdout().contains("squall::unused-actor"), "{}", run.stdout());
    assert!(run.stdout().contains("valid with 1 warning"), "{}", run.stdout());

    let run = squall(&["check", "-D", "warnings", path]).expect(1);
    assert!(run.stdout().contains("squall::unused-actor"));
    squall(&["check", "-D", "unused-actor", path]).expect(1);
    squall(&["check", "--deny", "squall::unused-actor", path]).expect(1);

    let run = squall(&["check", "-A", "unused-actor", path]).expect(0);
    assert!(!run.stdout().contains("unused-actor"), "{}", run.stdout());
    // Later flags win.
    squall(&["check", "-D", "unused-actor", "-W", "unused-actor", path]).expect(0);
    squall(&["check", "-W", "unused-actor", "-D", "unused-actor", path]).expect(1);
    // An allowed warning stays hidden under `-D warnings`, whatever the order.
    squall(&["check", "-A", "unused-actor", "-D", "warnings", path]).expect(0);
    squall(&["check", "-D", "warnings", "-A", "unused-actor", path]).expect(0);
    // JSON shows a denied warning as an error.
    let json = squall(&["check", "--format", "json", "-D", "warnings", path]).expect(1).json();
    assert_eq!(json["diagnostics"][0]["severity"], "error");
}

#[test]
fn lint_levels_in_the_model_and_the_command_line_over_them() {
    let dir = temp();
    let allowed = write(dir.path(), "allowed.yaml", format!("{SHOP_WITH_WARNING}lints:\n  unused-actor: allow\n"));
    let run = squall(&["check", path_str(&allowed)]).expect(0);
    assert!(!run.stdout().contains("unused-actor"), "{}", run.stdout());
    let denied = write(dir.path(), "denied.yaml", format!("{SHOP_WITH_WARNING}lints:\n  unused-actor: deny\n"));
    squall(&["check", path_str(&denied)]).expect(1);
    squall(&["check", "-W", "unused-actor", path_str(&denied)]).expect(0);
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP);
    let path = path_str(&model);
    let run = squall(&["check", "-A", "unused-actr", path]).expect(2);
    assert!(run.stderr().contains("did you mean `unused-actor`?"), "{}", run.stderr());
    let run = squall(&["check", "-A", "syntax", path]).expect(2);
    assert!(run.stderr().contains("errors cannot be allowed"), "{}", run.stderr());
    let run = squall(&["check", "-D", "warning", path]).expect(2);
    assert!(run.stderr().contains("`warnings`"), "{}", run.stderr());

    let txt = write(dir.path(), "shop.txt", SHOP);
    let run = squall(&["check", path_str(&txt)]).expect(2);
    assert!(run.stderr().contains("--syntax"), "{}", run.stderr());
    squall(&["check", "--syntax", "yaml", path_str(&txt)]).expect(0);

    squall(&["check"]).expect(2);
    squall(&["frobnicate"]).expect(2);
    squall(&[]).expect(2);
    squall(&["check", "--format", "xml", path]).expect(2);
}

#[test]
fn reports_have_no_colour_unless_asked() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP_WITH_ERROR);
    let path = path_str(&model);
    // Not a terminal: no escapes.
    let run = squall(&["check", path]).expect(1);
    assert!(!run.all().contains('\x1b'), "{:?}", run.all());
    // NO_COLOR, even when colour would otherwise be on.
    let mut command = Command::new(SQUALL);
    let output = command.args(["check", path]).env("NO_COLOR", "1").output().expect("runs");
    assert!(!output.stdout.contains(&0x1b) && !output.stderr.contains(&0x1b));
    // `--color never` beats everything; `--color always` colours a pipe.
    assert!(!squall(&["--color", "never", "check", path]).expect(1).all().contains('\x1b'));
    assert!(squall(&["check", "--color", "always", path]).expect(1).stdout().contains('\x1b'));
}

// ------------------------------------------------------------- bad input

#[test]
fn a_missing_file_is_an_io_error() {
    let run = squall(&["check", "no/such/model.yaml"]).expect(2);
    assert!(run.stderr().contains("no/such/model.yaml") && run.stderr().contains("no such file"), "{}", run.stderr());
    squall(&["export", "no/such/model.yaml"]).expect(2);
    squall(&["fmt", "no/such/model.yaml"]).expect(2);
}

#[test]
fn a_directory_is_an_io_error() {
    let dir = temp();
    let sub = dir.path().join("models.yaml");
    std::fs::create_dir(&sub).expect("mkdir");
    let run = squall(&["check", path_str(&sub)]).expect(2);
    assert!(run.stderr().contains("directory"), "{}", run.stderr());
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_io_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp();
    let model = write(dir.path(), "secret.yaml", SHOP);
    std::fs::set_permissions(&model, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&model).is_ok() {
        // Running as root: permissions do not stop reading, so there is
        // nothing to test here.
        eprintln!("skipped: this user can read a file with mode 000");
        return;
    }
    let run = squall(&["check", path_str(&model)]).expect(2);
    assert!(run.stderr().contains("permission denied"), "{}", run.stderr());
}

#[test]
fn invalid_utf8_is_a_syntax_diagnostic_on_the_first_bad_byte() {
    let dir = temp();
    let mut bytes = b"system: Shop\ndescription: caf".to_vec();
    bytes.push(0xE9); // Latin-1 `é`
    bytes.extend_from_slice(b"\n");
    let model = write(dir.path(), "latin1.yaml", &bytes);
    let run = squall(&["check", path_str(&model)]).expect(1);
    assert!(run.stdout().contains("squall::syntax") && run.stdout().contains("UTF-8"), "{}", run.stdout());
    let json = squall(&["check", "--format", "json", path_str(&model)]).expect(1).json();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "syntax");
    assert_eq!(d["offset"], 29);
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 17);
}

#[test]
fn a_binary_file_is_a_syntax_diagnostic() {
    let dir = temp();
    let mut bytes = b"system: Shop\n".to_vec();
    bytes.extend((0..4096u32).map(|i| (i * 7 % 256) as u8));
    let model = write(dir.path(), "binary.yaml", &bytes);
    let run = squall(&["check", path_str(&model)]).expect(1);
    assert!(run.stdout().contains("squall::syntax"), "{}", run.stdout());
    // The binary bytes do not reach the terminal.
    assert!(!run.output.stdout.iter().any(|&b| b == 0 || b == 0x1b), "control bytes in the report");
    squall(&["export", path_str(&model)]).expect(1);
    squall(&["fmt", path_str(&model)]).expect(1);
    assert_eq!(std::fs::read(&model).expect("read"), bytes, "fmt left the file alone");
}

#[test]
fn a_huge_file_is_refused_without_reading_it() {
    let dir = temp();
    let model = dir.path().join("huge.yaml");
    let file = std::fs::File::create(&model).expect("create");
    // Sparse: 100 MiB on paper, nothing on disk.
    file.set_len(100 * 1024 * 1024).expect("set_len");
    let run = squall(&["check", path_str(&model)]).expect(2);
    assert!(run.stderr().contains("100 MiB") && run.stderr().contains("16 MiB"), "{}", run.stderr());
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
}

#[test]
fn a_huge_stream_is_cut_off_at_the_limit() {
    let stream = vec![b'#'; 17 * 1024 * 1024];
    let run = squall_stdin(&["check", "-"], &stream).expect(2);
    assert!(run.stderr().contains("16 MiB"), "{}", run.stderr());
}

#[test]
fn deep_nesting_is_an_error_quickly() {
    let depth = 10_000;
    let flow = format!("system: Deep\ndescription: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let run = squall_stdin(&["check", "-"], flow.as_bytes()).expect(1);
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);

    // Block style, as compact as it gets: `- - - … x` is a sequence in a
    // sequence in a sequence.
    let block = format!("system: Deep\ndescription:\n{}x\n", "- ".repeat(depth));
    let run = squall_stdin(&["check", "-"], block.as_bytes()).expect(1);
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);

    let dsl = format!("system Deep\n{}{}\n", "context A {\n".repeat(depth), "}\n".repeat(depth));
    let run = squall_stdin(&["check", "--syntax", "dsl", "-"], dsl.as_bytes()).expect(1);
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
}

#[test]
fn a_billion_laughs_is_an_error_quickly() {
    let mut yaml = String::from("system: Laughs\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        yaml.push_str(&format!("lol{i}: &l{i} [{refs}]\n"));
    }
    yaml.push_str("description: *l9\n");
    let run = squall_stdin(&["check", "-"], yaml.as_bytes()).expect(1);
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
}

// ------------------------------------------------------------------ fmt

#[test]
fn fmt_is_idempotent_on_the_shipped_models() {
    for model in models() {
        for to in ["yaml", "dsl"] {
            let once = squall(&["fmt", "--to", to, path_str(&model)]).expect(0).stdout();
            let syntax = ["--syntax", to];
            let twice = squall_stdin(&["fmt", syntax[0], syntax[1], "-"], once.as_bytes()).expect(0).stdout();
            assert_eq!(once, twice, "{} in {to} is not stable under fmt", model.display());
        }
    }
}

#[test]
fn converting_to_the_dsl_and_back_keeps_the_model() {
    for model in models() {
        let path = path_str(&model);
        let original = squall(&["export", path]).expect(0).stdout();
        let dsl = squall(&["fmt", "--to", "dsl", path]).expect(0).stdout();
        let from_dsl = squall_stdin(&["export", "--syntax", "dsl", "-"], dsl.as_bytes()).expect(0).stdout();
        assert_eq!(original, from_dsl, "{}: YAML and its DSL export differently", model.display());
        let yaml = squall_stdin(&["fmt", "--syntax", "dsl", "--to", "yaml", "-"], dsl.as_bytes()).expect(0).stdout();
        let back = squall_stdin(&["export", "-"], yaml.as_bytes()).expect(0).stdout();
        assert_eq!(original, back, "{}: YAML → DSL → YAML changed the model", model.display());
    }
}

#[test]
fn the_shipped_dsl_models_say_what_their_yaml_twins_say() {
    for yaml in models() {
        let dsl = yaml.with_extension("squall");
        if !dsl.exists() {
            continue;
        }
        let from_yaml = squall(&["export", path_str(&yaml)]).expect(0).stdout();
        let from_dsl = squall(&["export", path_str(&dsl)]).expect(0).stdout();
        assert_eq!(from_yaml, from_dsl, "{} and {} differ", yaml.display(), dsl.display());
        squall(&["check", "-D", "warnings", path_str(&dsl)]).expect(0);
    }
}

#[test]
fn fmt_rewrites_in_place_and_check_reports_unformatted_files() {
    let dir = temp();
    let messy = SHOP.replace("  Clerk: { kind: person }", "  Clerk:     {kind: person}");
    let model = write(dir.path(), "shop.yaml", &messy);
    let path = path_str(&model);
    let canonical = squall(&["fmt", "-o", "-", path]).expect(0).stdout();
    assert_ne!(canonical, messy, "the fixture is not in the canonical layout");

    let run = squall(&["fmt", "--check", path]).expect(1);
    assert!(run.stdout().contains("would reformat") && run.stdout().contains("shop.yaml"), "{}", run.stdout());
    assert_eq!(std::fs::read_to_string(&model).expect("read"), messy, "--check changed the file");

    squall(&["fmt", path]).expect(0);
    assert_eq!(std::fs::read_to_string(&model).expect("read"), canonical);
    squall(&["fmt", "--check", path]).expect(0);
    // Nothing but the model is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
}

#[test]
fn fmt_refuses_a_file_with_syntax_errors_and_leaves_it_alone() {
    let dir = temp();
    let broken = "system: Shop\ncontexts:\n  Sales: [unclosed\n";
    let model = write(dir.path(), "broken.yaml", broken);
    let run = squall(&["fmt", path_str(&model)]).expect(1);
    assert!(run.stderr().contains("squall::syntax"), "{}", run.stderr());
    assert!(run.stderr().contains("not formatted"), "{}", run.stderr());
    assert_eq!(std::fs::read_to_string(&model).expect("read"), broken);
    squall(&["fmt", "--check", path_str(&model)]).expect(1);
}

#[test]
fn fmt_output_never_replaces_a_file_without_force() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP);
    let existing = write(dir.path(), "shop.squall", "keep me\n");
    let run = squall(&["fmt", path_str(&model), "-o", path_str(&existing)]).expect(2);
    assert!(run.stderr().contains("--force"), "{}", run.stderr());
    assert_eq!(std::fs::read_to_string(&existing).expect("read"), "keep me\n");

    squall(&["fmt", path_str(&model), "-o", path_str(&existing), "--force"]).expect(0);
    let dsl = std::fs::read_to_string(&existing).expect("read");
    assert_ne!(dsl, "keep me\n");
    // The syntax followed the extension of `-o`: it reads back as the DSL.
    squall(&["check", path_str(&existing)]).expect(0);

    let fresh = dir.path().join("fresh.squall");
    squall(&["fmt", "--to", "dsl", path_str(&model), "-o", path_str(&fresh)]).expect(0);
    assert_eq!(std::fs::read_to_string(&fresh).expect("read"), dsl);
    // `--to` and the extension of `-o` must agree.
    squall(&["fmt", "--to", "yaml", path_str(&model), "-o", path_str(&dir.path().join("x.squall"))]).expect(2);
    // The input is never touched by a conversion.
    assert_eq!(std::fs::read_to_string(&model).expect("read"), SHOP);
}

#[test]
fn fmt_reads_standard_input_and_writes_standard_output() {
    let run = squall_stdin(&["fmt", "-"], SHOP.as_bytes()).expect(0);
    assert!(run.stdout().contains("system: Shop"), "{}", run.stdout());
}

// --------------------------------------------------------------- export

#[test]
fn export_is_deterministic_and_fully_qualified() {
    let payments = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/payments.yaml");
    let path = path_str(&payments);
    let first = squall(&["export", "--format", "json", path]).expect(0);
    let second = squall(&["export", path]).expect(0);
    assert_eq!(first.output.stdout, second.output.stdout);
    let json = first.json();
    assert_eq!(json["system"], "Payments");
    assert_eq!(json["actors"]["Buyer"]["kind"], "person");
    assert_eq!(json["actors"]["PaymentProvider"]["role"], "payment-provider");
    let billing = &json["contexts"]["Billing"];
    assert_eq!(billing["policies"]["BillCompletedPayment"]["on"], serde_json::json!(["Transactions.PaymentCompleted"]));
    assert_eq!(billing["policies"]["BillCompletedPayment"]["then"], "Billing.AddInvoiceLine");
    let merchant = &json["contexts"]["Customer"]["aggregates"]["Merchant"];
    assert_eq!(merchant["id"], "uuid");
    assert_eq!(merchant["events"]["MerchantRegistered"]["public"], false);
    assert_eq!(merchant["events"]["MerchantRegistered"]["version"], 1);
    assert_eq!(merchant["commands"]["CheckCustomer"]["creates"], false);
    assert_eq!(
        json["contexts"]["Transactions"]["aggregates"]["Payment"]["commands"]["FailPayment"]["fields"]["reason"]["type"],
        "string?"
    );
    assert_eq!(json["relationships"][0]["upstream_roles"], serde_json::json!(["PL"]));
    assert_eq!(json["flows"]["CardPayment"]["steps"][0]["name"], "Transactions.InitiatePayment");
    assert!(!first.stdout().contains("\"span\""));
}

#[test]
fn export_refuses_a_model_with_errors() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP_WITH_ERROR);
    let run = squall(&["export", path_str(&model)]).expect(1);
    assert!(run.stdout().is_empty(), "{}", run.stdout());
    assert!(run.stderr().contains("squall::unknown-reference"), "{}", run.stderr());
    assert!(run.stderr().contains("not exported"), "{}", run.stderr());
    // Warnings do not stop an export.
    let model = write(dir.path(), "warned.yaml", SHOP_WITH_WARNING);
    squall(&["export", path_str(&model)]).expect(0).json();
}

// -------------------------------------------------------------- diagram

#[test]
fn diagram_draws_to_standard_output_or_a_file() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP);
    let run = squall(&["diagram", path_str(&model)]).expect(0);
    assert!(run.stdout().contains("<svg"), "{}", run.stdout());
    // `-o -` is standard output, not a file named `-`.
    let run = squall_in(Some(dir.path()), &["diagram", "shop.yaml", "--format", "mermaid", "-o", "-"], None).expect(0);
    assert!(run.stdout().starts_with("flowchart LR"), "{}", run.stdout());
    assert!(!dir.path().join("-").exists(), "`-o -` wrote a file named `-`");
    let out = dir.path().join("map.dot");
    squall(&["diagram", path_str(&model), "--kind", "context-map", "--format", "dot", "-o", path_str(&out)]).expect(0);
    assert!(std::fs::read_to_string(&out).expect("read").contains("digraph"));
}

#[cfg(unix)]
#[test]
fn diagram_writes_through_a_symbolic_link_and_leaves_it_a_link() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP);
    let real = write(dir.path(), "board.svg", "old picture\n");
    let link = dir.path().join("latest.svg");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    squall(&["diagram", path_str(&model), "-o", path_str(&link)]).expect(0);
    assert!(std::fs::symlink_metadata(&link).expect("stat").file_type().is_symlink(), "the link was replaced");
    assert!(std::fs::read_to_string(&real).expect("read").contains("<svg"), "the picture went elsewhere");
}

#[test]
fn diagram_refuses_a_model_with_errors_and_an_unknown_context() {
    let dir = temp();
    let model = write(dir.path(), "shop.yaml", SHOP_WITH_ERROR);
    let out = dir.path().join("board.svg");
    let run = squall(&["diagram", path_str(&model), "-o", path_str(&out)]).expect(1);
    assert!(
        run.stderr().contains("squall::unknown-reference") && run.stderr().contains("not drawn"),
        "{}",
        run.stderr()
    );
    assert!(!out.exists(), "a picture of a broken model was written");
    let model = write(dir.path(), "good.yaml", SHOP);
    let run = squall(&["diagram", path_str(&model), "--context", "sales"]).expect(2);
    assert!(run.stderr().contains("did you mean `Sales`"), "{}", run.stderr());
    assert!(run.stdout().is_empty());
}

// ------------------------------------------------- explain, schema, help

#[test]
fn explain_documents_every_code() {
    for &code in Code::ALL {
        let run = squall(&["explain", code.as_str()]).expect(0);
        let doc = run.stdout();
        assert!(doc.contains(code.as_str()), "{code}: {doc}");
        assert!(doc.contains("## Example") && doc.contains("## Fix"), "{code}: {doc}");
    }
    let run = squall(&["explain", "squall::event-tense"]).expect(0);
    assert!(run.stdout().contains("event-tense"));
}

#[test]
fn explain_rejects_unknown_codes_and_lists_them_all() {
    let run = squall(&["explain", "unused-evnt"]).expect(2);
    assert!(run.stderr().contains("did you mean `unused-event`?"), "{}", run.stderr());
    let list = squall(&["explain", "--list"]).expect(0).stdout();
    assert_eq!(list.lines().count(), Code::ALL.len());
    assert!(list.lines().any(|l| l.starts_with("broken-flow") && l.contains("error")));
    assert!(list.lines().any(|l| l.starts_with("policy-cycle") && l.contains("warning")));
    squall(&["explain"]).expect(2);
}

#[test]
fn schema_is_a_draft_07_json_schema() {
    let run = squall(&["schema"]).expect(0);
    let schema = run.json();
    assert!(schema["$schema"].as_str().is_some_and(|s| s.contains("draft-07")), "{}", schema["$schema"]);
    assert!(schema["properties"]["contexts"].is_object(), "no `contexts` in the schema");
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = squall(&["completions", shell]).expect(0);
        assert!(run.stdout().contains("squall"), "{shell}");
    }
    squall(&["completions", "tcsh"]).expect(2);
}

#[test]
fn help_and_version() {
    let run = squall(&["--version"]).expect(0);
    assert!(run.stdout().contains(env!("CARGO_PKG_VERSION")));
    let help = squall(&["--help"]).expect(0).stdout();
    for command in ["check", "fmt", "export", "schema", "explain", "completions"] {
        assert!(help.contains(command), "`{command}` missing from --help");
        let sub = squall(&[command, "--help"]).expect(0).stdout();
        assert!(sub.contains("Examples:"), "`{command} --help` has no examples");
    }
    // A command that does not work yet is not offered.
    squall(&["diff", "--help"]).expect(2);
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    let payments = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/payments.yaml");
    let mut child = Command::new(SQUALL)
        .args(["export", path_str(&payments)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // Close the reading end at once, as `| head -c0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
