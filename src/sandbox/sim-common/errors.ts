// Why an operation refused: the REST layer and the admin API turn these into 404 and 409/400 answers.
// Shared: both simulators' operations throw them, and sim-common/admin answers them for both.

export class SimNotFoundError extends Error {
  override name = 'SimNotFoundError';
}

export class SimConflictError extends Error {
  override name = 'SimConflictError';
}
