//! The two ways a command fails: the user's input is wrong (exit 2), or a computation failed
//! (exit 1). Either way the message is one line saying what and where.

/// A failed `ntk` command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: unreadable or malformed files, invalid hyperparameters, mismatched sets.
    #[error("{0}")]
    BadInput(Box<dyn std::error::Error + Send + Sync>),
    /// The computation could not produce a result (e.g. a singular kernel).
    #[error("{0}")]
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl CliError {
    /// Process exit code: 2 for bad input, 1 for failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::BadInput(_) => 2,
            CliError::Failed(_) => 1,
        }
    }

    /// Wraps an input error.
    pub fn bad_input(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        CliError::BadInput(Box::new(e))
    }

    /// Wraps a computation error.
    pub fn failed(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        CliError::Failed(Box::new(e))
    }
}

impl From<crate::input::InputError> for CliError {
    fn from(e: crate::input::InputError) -> Self {
        CliError::bad_input(e)
    }
}

impl From<ntk_core::ArchError> for CliError {
    fn from(e: ntk_core::ArchError) -> Self {
        CliError::bad_input(e)
    }
}
