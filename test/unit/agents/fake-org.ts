// A stand-in for src/org's OrgDirectory with the same method names, for when the real one is not available.
import type { OrgDirectory } from '../../../src/org/directory.ts';
import type { Person } from '../../../src/org/types.ts';

type P = { matrixId: string; name: string; title: string; level: number; department: string; team?: string; reportsTo?: string; human: boolean };

export function fakeOrg(domain = 'anycompany.corp'): OrgDirectory {
  const id = (l: string): string => `@${l}:${domain}`;
  const people: P[] = [
    { matrixId: id('morgan.blake'), name: 'Morgan Blake', title: 'Chief Executive Officer', level: 1, department: 'Executive', human: true },
    { matrixId: id('dana.reyes'), name: 'Dana Reyes', title: 'Chief Technology Officer', level: 2, department: 'Engineering', reportsTo: id('morgan.blake'), human: false },
    { matrixId: id('sam.okafor'), name: 'Sam Okafor', title: 'Engineering Manager', level: 3, department: 'Engineering', team: 'Platform', reportsTo: id('dana.reyes'), human: false },
    { matrixId: id('lee.chen'), name: 'Lee Chen', title: 'Software Engineer', level: 4, department: 'Engineering', team: 'Platform', reportsTo: id('sam.okafor'), human: false },
    { matrixId: id('ana.silva'), name: 'Ana Silva', title: 'Chief Financial Officer', level: 2, department: 'Finance', reportsTo: id('morgan.blake'), human: false },
  ];
  const all = people as unknown as Person[];
  const byId = new Map(all.map((p) => [p.matrixId, p]));
  const get = (x: string): Person | undefined => byId.get(x);
  const reports = (x: string): Person[] => all.filter((p) => p.reportsTo === x);
  const manager = (x: string): Person | undefined => {
    const r = get(x)?.reportsTo;
    return r ? get(r) : undefined;
  };
  const org = {
    get,
    manager,
    reports,
    chain: (x: string) => {
      const out: Person[] = [];
      for (let m = manager(x); m; m = manager(m.matrixId)) out.push(m);
      return out;
    },
    search: (q: string) => all.filter((p) => [p.name, p.title, p.department, p.team ?? '', p.matrixId].some((f) => f.toLowerCase().includes(q.toLowerCase()))),
    department: (d: string) => all.filter((p) => p.department.toLowerCase() === d.toLowerCase()),
    team: (t: string) => all.filter((p) => (p.team ?? '').toLowerCase() === t.toLowerCase()),
    byTitle: (t: string) => all.filter((p) => p.title.toLowerCase().includes(t.toLowerCase())),
    byLevel: (l: number) => all.filter((p) => p.level === l),
    all: () => all,
  };
  return org as unknown as OrgDirectory;
}
