import { randomKills } from './random-kills.js';

randomKills('aws-secrets-manager');
