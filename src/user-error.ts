/**
 * An error caused by the user's input (a bad flag, a bad file), not by a bug. Its message says what was
 * wrong and how to fix it; the CLI prints the message alone, without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}
