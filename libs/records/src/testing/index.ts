export { TestRecords, testRecord } from './test-records.js';
