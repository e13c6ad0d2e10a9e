/** Loads every schema file (each adds its types to the builder) and builds the schema. */
import { builder } from './builder.ts';
import './trigger.ts';
import './execution.ts';
import './job.ts';
import './job-mutations.ts';
import './backfill.ts';
import './audit.ts';
import './job-health.ts';
import './task.ts';
import './scheduler.ts';
import './replicas.ts';
import './events.ts';
import './subscription-token.ts';
import './viewer.ts';

export const schema = builder.toSchema();
