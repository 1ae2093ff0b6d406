import { databaseKills } from './database-kills.js';

/** Kills: a few in `npm test`, 100 with `npm run chaos` (POSTGRES_KILLS). */
databaseKills('postgres', Number(process.env.POSTGRES_KILLS ?? 10));
