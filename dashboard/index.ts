/**
 * The dashboard's public entry, for code outside dashboard/ (the demo): start it, and read
 * the services' health and the lake's panels the way it does.
 */
export { HEALTH_METRICS, scrape } from './health.js';
export { runLakeQueries } from './lake-queries.js';
export { startDashboard, type DashboardRunOptions, type RunningDashboard } from './run.js';
