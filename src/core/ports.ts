/**
 * The ports the core depends on. Adapters (src/adapters/*) implement them; one contract suite per
 * port (test/contract/*) runs against every adapter, so these comments are the contract.
 *
 * Deliberately left out: connections and transactions. An adapter owns its connections; no
 * driver type crosses a port. All times are epoch milliseconds.
 */
export type * from './ports/audit-log.ts';
export type * from './ports/event-bus.ts';
export type * from './ports/execution-log.ts';
export type * from './ports/job-store.ts';
export type * from './ports/page.ts';
export type * from './ports/replicas.ts';
export type * from './ports/slots.ts';
