/** Seniority, top first. */
export type Level = 'CEO' | 'VP' | 'Director' | 'Manager' | 'IC';

/** Levels in order of seniority; a level's 1-based position is its numeric rank (CEO 1 … IC 5). */
export const LEVELS: readonly Level[] = ['CEO', 'VP', 'Director', 'Manager', 'IC'];

export interface Person {
  /** `@localpart:domain`, lower-case. */
  matrixId: string;
  localpart: string;
  /** Display name, "First Last". */
  name: string;
  firstName: string;
  lastName: string;
  title: string;
  level: Level;
  department: string;
  team: string | null;
  /** matrixId of the manager; null only for the root of the org. */
  reportsTo: string | null;
  /** matrixIds of the people whose reportsTo is this person. */
  directReports: string[];
  /** A real person (never spoken for by the fleet) rather than an AI agent. */
  human: boolean;
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}
