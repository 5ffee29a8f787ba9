package dev.sdj.cli;

/** A failure the user can fix, found by the command line itself; printed as one "error:" line, exit code 1. */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message);
    }
}
