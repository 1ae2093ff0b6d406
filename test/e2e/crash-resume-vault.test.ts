import { crashResumeSuite } from '../helpers/crash-resume-suite.js';

crashResumeSuite('vault');
