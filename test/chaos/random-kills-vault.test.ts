import { randomKills } from './random-kills.js';

randomKills('vault');
