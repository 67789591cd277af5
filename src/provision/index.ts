export { provisionOrg, type ProvisionOptions, type ProvisionResult } from './provision.ts';
export { planOrg, lazyRoomMembers, DEFAULT_EAGER_JOIN_MAX_MEMBERS, ALL_EMPLOYEES, FLEET_ADMIN, COMPANY_SPACE, leadershipAlias, departmentSpaceAlias,
  type ProvisionPlan, type PlanOptions, type DesiredRoom, type DesiredUser, type DesiredMembership, type PowerLevelsContent } from './plan.ts';
export { liveAgentsSchema, selectLiveAgents, notStaffedNotice, type LiveAgentsConfig } from './live.ts';
export { slugify, teamAliasLocalparts } from './slug.ts';
export { TITLE_PROFILE_FIELD } from './homeserver-ops.ts';
export { archiveAgentDir } from './archive.ts';
export type { ProvisionProgress, ProgressMode } from './progress.ts';
export type { ProvisionCounts, RemovedCounts } from './executor.ts';
