use std::process::ExitCode;

/// Reading a model makes many small allocations that live until the model
/// is dropped; mimalloc keeps them compact, which keeps a large model's
/// check close to linear in its size (`docs/yaml.md`, "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    squall::cli::run()
}
