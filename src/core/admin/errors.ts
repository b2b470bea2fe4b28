// What an admin asked for cannot be done as things stand; the message says what to do first. The
// settings resolver passes it to the page as it is (any other error is logged and reported as internal).

export class AdminActionError extends Error {
  constructor(
    readonly code: 'precondition-failed' | 'not-found' | 'unavailable',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AdminActionError';
  }
}
