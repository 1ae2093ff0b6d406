// The floors of src, lowest first: a room (a folder of src, or "." for the files at src/ itself)
// imports only from rooms on floors below its own. Shared by the lint (eslint.config.mjs), the test
// of the import graph and docs/design.md ("The floors"), which says what each floor holds.

/** @type {ReadonlyArray<{ rooms: string[]; holds: string }>} */
export const FLOORS = [
  { rooms: ['.'], holds: 'the vocabulary: errors, secret values, durations, the clock, policy state' },
  { rooms: ['timing'], holds: 'schedules, next runs, ask windows: the maths of time, no I/O; the policy settings it reads' },
  { rooms: ['observability', 'http'], holds: 'logs, metrics, audit; the HTTP helper' },
  { rooms: ['vendors', 'adapters'], holds: "vendor API clients; the adapters' shared contract" },
  { rooms: ['stores'], holds: 'the store adapters and the stored-state types every adapter uses' },
  { rooms: ['providers', 'consumers', 'notifiers'], holds: 'the other adapters: none knows another kind' },
  { rooms: ['config'], holds: 'loading, validating and resolving the YAML' },
  { rooms: ['rotation'], holds: 'the engine: the protocol, leases, rollback' },
  { rooms: ['handover', 'wiring', 'alerts'], holds: "taking a person's token; building adapters from a config; expiry alerts" },
  { rooms: ['scheduler'], holds: 'when each policy runs, signals, alerts sent' },
  { rooms: ['control'], holds: 'the services the CLI and the API share: status, rotate, state updates' },
  { rooms: ['api'], holds: 'the control API and the hand-over page' },
  { rooms: ['daemon'], holds: 'the long-running process' },
  { rooms: ['cli'], holds: 'the commands' },
];

/**
 * The room of a path relative to the repository ("src/scheduler/scheduler.ts" → "scheduler",
 * "src/errors.ts" → "."), or undefined outside src.
 * @param {string} path
 */
export function roomOf(path) {
  const parts = path.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length === 2 ? '.' : parts[1];
}

/** @param {string} room */
export function floorOf(room) {
  const index = FLOORS.findIndex((floor) => floor.rooms.includes(room));
  return index < 0 ? undefined : index;
}

/**
 * Imports between rooms that do not go down a floor (up, or sideways to another room of the same
 * floor), and modules in a room no floor names.
 * @param {Map<string, string[]>} graph
 * @returns {string[]}
 */
export function floorViolations(graph) {
  const found = [];
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    if (floorOf(from) === undefined) {
      found.push(`${file}: room ${from} is on no floor (eslint-rules/floors.mjs)`);
      continue;
    }
    for (const target of targets) {
      const to = roomOf(target);
      if (to === from) continue;
      if (floorOf(to) === undefined || floorOf(to) >= floorOf(from)) found.push(`${file} → ${target}`);
    }
  }
  return found;
}

/**
 * The import graph between rooms: an edge for every import from one room into another.
 * @param {Map<string, string[]>} graph
 * @returns {Map<string, string[]>}
 */
export function roomGraph(graph) {
  const rooms = new Map();
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    const edges = rooms.get(from) ?? new Set();
    for (const target of targets) if (roomOf(target) !== from) edges.add(roomOf(target));
    rooms.set(from, edges);
  }
  return new Map([...rooms].map(([room, edges]) => [room, [...edges]]));
}
