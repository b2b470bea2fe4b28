// The one seeded mutator, kept with the simulators (their `mutateAnswer` fault uses it too).
export * from '../../src/sandbox/sim-common/mutate';
