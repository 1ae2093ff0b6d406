export const FLOORS: ReadonlyArray<{ rooms: string[]; holds: string }>;
export function roomOf(path: string): string | undefined;
export function floorOf(room: string): number | undefined;
export function floorViolations(graph: Map<string, string[]>): string[];
export function roomGraph(graph: Map<string, string[]>): Map<string, string[]>;
