/**
 * Settings from the environment: what the rest of the code imports. The table of settings is
 * src/config/settings.ts, the parsing src/config/load.ts.
 */
export { isLoopback } from './config/hosts.ts';
export {
  type Config,
  ConfigError,
  type DatabaseConfig,
  type LoadConfigOptions,
  loadConfig,
} from './config/load.ts';
