import { realClientSuite } from '../support/real-clients-suite.js';

realClientSuite('moto');
