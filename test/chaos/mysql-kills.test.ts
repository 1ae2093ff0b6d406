import { databaseKills } from './database-kills.js';

/** Kills: a few in `npm test`, 100 with `npm run chaos` (MYSQL_KILLS). */
databaseKills('mysql', Number(process.env.MYSQL_KILLS ?? 10));
