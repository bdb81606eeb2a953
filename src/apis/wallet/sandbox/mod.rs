//! The embedded Wallet sandbox: the Wallet routes, handlers and tables beside the Gate's.
