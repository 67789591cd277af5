// One implementation for the bench and the tests.
export { freePort } from '../../src/bench/processes.ts';
