/**
 * The generated company's data, reproduced from the seed project (manu-mishra/open-claw-fleet, fleet-manager org
 * generator) so that the same seed yields the same people.
 */

export const FIRST_NAMES: readonly string[] = [
  'Olivia', 'Emma', 'Charlotte', 'Amelia', 'Sophia', 'Isabella', 'Ava', 'Mia', 'Evelyn', 'Luna',
  'Harper', 'Camila', 'Sofia', 'Scarlett', 'Elizabeth', 'Eleanor', 'Emily', 'Chloe', 'Mila', 'Violet',
  'Penelope', 'Gianna', 'Aria', 'Abigail', 'Ella', 'Avery', 'Hazel', 'Nora', 'Layla', 'Lily',
  'Aurora', 'Nova', 'Ellie', 'Madison', 'Grace', 'Isla', 'Willow', 'Zoe', 'Riley', 'Stella',
  'Liam', 'Noah', 'Oliver', 'James', 'Elijah', 'William', 'Henry', 'Lucas', 'Benjamin', 'Theodore',
  'Jack', 'Levi', 'Alexander', 'Jackson', 'Mateo', 'Daniel', 'Michael', 'Mason', 'Sebastian', 'Ethan',
  'Logan', 'Owen', 'Samuel', 'Jacob', 'Asher', 'Aiden', 'John', 'Joseph', 'Wyatt', 'David',
  'Leo', 'Luke', 'Julian', 'Hudson', 'Grayson', 'Matthew', 'Ezra', 'Gabriel', 'Carter', 'Isaac',
  'Jayden', 'Luca', 'Anthony', 'Dylan', 'Lincoln', 'Thomas', 'Maverick', 'Elias', 'Josiah', 'Charles',
  'Caleb', 'Christopher', 'Ezekiel', 'Miles', 'Jaxon', 'Isaiah', 'Andrew', 'Joshua', 'Nathan', 'Nolan',
  'Adrian', 'Cameron', 'Santiago', 'Eli', 'Aaron', 'Ryan', 'Angel', 'Cooper', 'Waylon', 'Easton',
  'Kai', 'Christian', 'Landon', 'Colton', 'Roman', 'Axel', 'Brooks', 'Jonathan', 'Robert', 'Jameson',
  'Ian', 'Everett', 'Greyson', 'Wesley', 'Jeremiah', 'Hunter', 'Leonardo', 'Jordan', 'Jose', 'Bennett',
  'Silas', 'Nicholas', 'Parker', 'Beau', 'Weston', 'Austin', 'Connor', 'Carson', 'Dominic', 'Xavier',
  'Braxton', 'Ashton', 'Rhett', 'Atlas', 'Jude', 'Bentley', 'Carlos', 'Ryker', 'Timothy', 'Finn',
  'Nicole', 'Serenity', 'Jade', 'Skylar', 'Madeline', 'Julia', 'Clara', 'Melody', 'Lydia', 'Eva',
  'Rose', 'Ariana', 'Gabriella', 'Sarah', 'Samantha', 'Allison', 'Maria', 'Taylor', 'Jasmine', 'Iris',
  'Oakley', 'Magnolia', 'Teagan', 'Aspen', 'Reese', 'Noelle', 'Hayden', 'Palmer', 'Kaia', 'Rowan',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes',
  'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Cooper', 'Peterson', 'Bailey', 'Reed',
  'Kelly', 'Howard', 'Kim', 'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks', 'Wood', 'James',
  'Bennett', 'Gray', 'Hughes', 'Price', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster',
  'Powell', 'Jenkins', 'Perry', 'Russell', 'Sullivan', 'Bell', 'Coleman', 'Butler', 'Henderson', 'Barnes',
];

/** Middle initials that tell namesakes apart once the first × last pairs run out (orgs beyond ~15,000 people). */
export const MIDDLE_INITIALS: readonly string[] = 'ABCDEFGHJKLMNPRSTVW'.split('');

export interface DepartmentPlan {
  name: string;
  /** Everyone in the department, VP included. */
  headcount: number;
  teams: readonly string[];
  icTitles: readonly string[];
}

export const DEPARTMENTS: readonly DepartmentPlan[] = [
  {
    name: 'Engineering', headcount: 350, teams: ['Platform', 'Frontend', 'Backend', 'Infrastructure', 'QA'],
    icTitles: ['Software Engineer', 'Senior Software Engineer', 'Staff Engineer', 'Principal Engineer', 'SRE'],
  },
  {
    name: 'Sales', headcount: 200, teams: ['Enterprise', 'Mid-Market', 'SMB', 'Partnerships'],
    icTitles: ['Account Executive', 'Senior AE', 'Sales Development Rep', 'Solutions Engineer'],
  },
  {
    name: 'Marketing', headcount: 100, teams: ['Brand', 'Demand Gen', 'Content', 'Events'],
    icTitles: ['Marketing Manager', 'Marketing Specialist', 'Content Writer', 'Graphic Designer'],
  },
  {
    name: 'Product', headcount: 80, teams: ['Core Product', 'Growth', 'Platform'],
    icTitles: ['Product Manager', 'Senior PM', 'UX Designer', 'UX Researcher', 'Product Analyst'],
  },
  {
    name: 'Operations', headcount: 80, teams: ['IT', 'Facilities', 'Security'],
    icTitles: ['Operations Analyst', 'IT Specialist', 'Security Analyst', 'Systems Admin'],
  },
  {
    name: 'Customer Success', headcount: 70, teams: ['Enterprise CS', 'Support', 'Onboarding'],
    icTitles: ['Customer Success Manager', 'Support Engineer', 'Technical Account Manager'],
  },
  {
    name: 'Finance', headcount: 50, teams: ['Accounting', 'FP&A'],
    icTitles: ['Financial Analyst', 'Senior Accountant', 'Accountant', 'Treasury Analyst'],
  },
  {
    name: 'People', headcount: 40, teams: ['Recruiting', 'People Ops'],
    icTitles: ['Recruiter', 'Senior Recruiter', 'HR Business Partner', 'People Ops Specialist'],
  },
  {
    name: 'Legal', headcount: 30, teams: ['Corporate', 'Compliance'],
    icTitles: ['Paralegal', 'Contract Specialist', 'Compliance Analyst', 'Legal Counsel'],
  },
];

/** The CEO's department; nobody else belongs to it. */
export const EXECUTIVE_DEPARTMENT = 'Executive';

/** The seed's span of control: one manager per six non-director heads, each given up to this many ICs. */
export const ICS_PER_MANAGER = 5;
