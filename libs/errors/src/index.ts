export { errorCatalogue, kindOf, type ErrorCode, type ErrorKind } from './error-catalogue.js';
export { RedoubtError, isRedoubtError, toRedoubtError, type ErrorDetails } from './redoubt-error.js';
