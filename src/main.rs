//! The `iamlint` binary: parse the command line, run the library, set the exit code.

fn main() {
    std::process::exit(iamlint::cli::main_with(std::env::args_os()));
}
