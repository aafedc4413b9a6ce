export { TestRecords } from './test-records.js';
