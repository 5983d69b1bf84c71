//! Starts chapter 9. The lesson is in `lib.rs`; `shared::serve` is the start-up every
//! chapter shares (port, logs, Ctrl-C).
#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::serve(chapter_09::app()).await
}
