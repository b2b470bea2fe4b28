// Why an operation refused: the REST layer and the admin API turn these into 404 and 409/400 answers.

export class SimNotFoundError extends Error {
  override name = 'SimNotFoundError';
}

export class SimConflictError extends Error {
  override name = 'SimConflictError';
}
