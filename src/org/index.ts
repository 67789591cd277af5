export type { Level, Person } from './types.ts';
export { LEVELS, isLevel } from './types.ts';
export { generateOrg, DEFAULT_SEED, type CeoSpec, type GenerateOrgOptions } from './generator.ts';
export { validateOrg, orgProblems, OrgValidationError } from './validate.ts';
export { OrgDirectory, type TeamRef } from './directory.ts';
export { loadOrg, peopleFromFile, type LoadOrgConfig } from './load.ts';
export { formatOrgTable, orgToJson, type OrgRow } from './format.ts';
export { diffOrgs, isEmptyDiff, type OrgDiff, type OrgMove } from './diff.ts';
