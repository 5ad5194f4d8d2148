//! Progress display for long steps (spinners on stderr, silent when stderr is not a TTY).

use std::cell::RefCell;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use zkinfer::Stage;

/// Shows one spinner per stage; each finishes when the next starts or on [`Spinner::finish`].
pub struct Spinner {
    current: RefCell<Option<(ProgressBar, Stage)>>,
}

impl Spinner {
    /// A spinner with nothing running.
    pub fn new() -> Self {
        Self {
            current: RefCell::new(None),
        }
    }

    /// Starts `stage` (finishing the previous one).
    pub fn stage(&self, stage: Stage) {
        self.finish();
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(stage.label());
        bar.enable_steady_tick(Duration::from_millis(120));
        *self.current.borrow_mut() = Some((bar, stage));
    }

    /// Finishes the running stage, leaving a "done" line.
    pub fn finish(&self) {
        if let Some((bar, stage)) = self.current.borrow_mut().take() {
            let elapsed = bar.elapsed();
            bar.finish_and_clear();
            eprintln!("  {} ({:.2} s)", stage.label(), elapsed.as_secs_f64());
        }
    }
}
